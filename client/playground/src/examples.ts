/**
 * Ready-made queries for analysts, one per family of figures. Each opens as a tab and is listed
 * in the « Exemples » panel. Comments are in French: they are what the analyst reads.
 */
export interface Example {
  title: string;
  query: string;
}

export const examples: Example[] = [
  {
    title: 'Examens publiés par mois',
    query: `# Examens publiés par mois, sur les 12 derniers mois (période par défaut).
# Un groupe de moins de 5 est masqué : value = null, suppressed = true.
query ExamensParMois {
  stats(groupBy: [MONTH]) {
    from
    to
    examsPublished {
      period
      exams { value suppressed }
    }
  }
}
`,
  },
  {
    title: 'Examens par modalité et par centre',
    query: `# Examens publiés par année, par modalité DICOM et par centre d'imagerie.
# Un examen à deux modalités compte dans chacune.
query ExamensParModaliteEtCentre {
  stats(groupBy: [YEAR, MODALITY, FACILITY], range: { from: "2025-01-01T00:00:00Z" }) {
    examsPublished {
      period
      modality
      facility { name finess }
      exams { value suppressed }
    }
  }
}
`,
  },
  {
    title: 'Délai avant première ouverture',
    query: `# Délai entre la publication d'un examen et sa première ouverture par un médecin,
# en secondes : médiane et 90e centile, par mois et par centre.
query DelaiPremiereOuverture {
  stats(groupBy: [MONTH, FACILITY]) {
    timeToFirstOpening {
      period
      facility { name }
      openedExams { value suppressed }
      medianSeconds { value suppressed }
      p90Seconds { value suppressed }
    }
  }
}
`,
  },
  {
    title: 'Notifications',
    query: `# Notifications envoyées, lues, et délai médian de lecture (secondes), par mois.
query Notifications {
  stats(groupBy: [MONTH]) {
    notifications {
      period
      sent { value suppressed }
      read { value suppressed }
      medianSecondsToRead { value suppressed }
    }
  }
}
`,
  },
  {
    title: 'E-mails',
    query: `# E-mails mis en file, envoyés, abandonnés après toutes les relances,
# et ceux qui ont demandé plus d'une tentative, par semaine.
query Emails {
  stats(groupBy: [WEEK], range: { from: "2026-09-01T00:00:00Z" }) {
    emails {
      period
      queued { value suppressed }
      sent { value suppressed }
      failed { value suppressed }
      retried { value suppressed }
    }
  }
}
`,
  },
  {
    title: 'Partages',
    query: `# Partages créés, ouverts au moins une fois, expirés, révoqués,
# et nombre médian d'ouvertures par partage, par mois.
query Partages {
  stats(groupBy: [MONTH]) {
    shares {
      period
      created { value suppressed }
      opened { value suppressed }
      expired { value suppressed }
      revoked { value suppressed }
      medianOpenings { value suppressed }
    }
  }
}
`,
  },
  {
    title: 'Médecins actifs',
    query: `# Médecins connectés au moins une fois dans la période (chacun compté une fois).
query MedecinsActifs {
  stats(groupBy: [MONTH]) {
    activePhysicians {
      period
      physicians { value suppressed }
    }
  }
}
`,
  },
];
