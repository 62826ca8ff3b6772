/** The professional user guide (sections 1 to 7), as the help page shows it. */
export default {
  fr: {
    title: 'Aide — Guide utilisateur professionnel',
    intro: 'Le portail e-mage vous donne accès aux examens d’imagerie médicale de vos patients.',
    contents: 'Sommaire',
    supportTitle: 'Besoin d’assistance\u00a0?',
    supportText: 'Contactez le support {label} au {phone} ou à {email}.',
    offline: 'Hors ligne\u00a0? Vérifiez votre connexion à internet puis rechargez la page. Si le problème persiste, contactez le support.',
    sections: [
      { id: 'acces', title: '1. Accès au portail', body: ['Pour accéder au portail, rendez-vous sur l’adresse du portail communiquée par votre structure.', 'Nous vous recommandons l’utilisation des navigateurs Firefox ou Chrome. L’utilisation de Edge et d’Internet Explorer n’est pas recommandée.'] },
      { id: 'connexion', title: '2. Connexion', body: ['Vos codes d’accès vous ont été transmis par mail suite à votre demande de création de compte.', 'En cas d’oubli de votre mot de passe, cliquez sur «\u00a0Mot de passe oublié\u00a0» et renseignez votre identifiant\u00a0: un mail vous permet de réinitialiser votre mot de passe.', 'Attention, si vous réalisez 3 tentatives de connexion erronées, votre compte sera bloqué pendant une durée de 5 minutes.'] },
      { id: 'tableau-de-bord', title: '3. Tableau de bord', body: ['En vous connectant, vous arrivez sur le tableau de bord. Ici, vous pouvez accéder aux dossiers des patients pour lesquels vous avez été renseigné, par le patient, en tant que médecin prescripteur ou médecin correspondant d’un examen d’imagerie médicale.', 'À partir du filtre en haut du tableau de bord, vous pouvez filtrer la liste des patients en saisissant le nom du patient. En validant votre saisie, la liste des patients se met à jour automatiquement.'] },
      { id: 'notifications', title: '4. Notifications', body: ['Vous recevez une notification par mail à chaque mise à disposition d’un nouvel examen pour lequel vous avez été référencé en tant que médecin prescripteur.', 'Les notifications n’étant pas envoyées par mail sécurisé, il n’y a pas de données patient dans ce mail. Vous pouvez néanmoins retrouver la notification depuis l’icône en forme de cloche\u00a0; en cliquant sur la notification, vous accédez directement au dossier du patient.'] },
      { id: 'dossier-patient', title: '5. Dossier patient', body: ['Le dossier du patient est séparé en deux parties\u00a0: les informations administratives du patient et les résultats d’examen du patient.', 'Informations administratives\u00a0: elles sont récupérées depuis les structures productrices d’imagerie. Elles sont disponibles à titre informatif mais ne peuvent pas être modifiées depuis le portail.', 'Résultats\u00a0: vous y accédez depuis la colonne de gauche du dossier patient. Vous retrouvez la liste des examens réalisés par ce patient (type, titre, date). Les examens sont disponibles uniquement si le patient vous a déclaré comme médecin prescripteur ou correspondant lors de sa venue dans la structure.', 'En sélectionnant un compte-rendu, il s’affiche dans la page\u00a0; en sélectionnant une imagerie, vous avez accès aux images réalisées lors de l’examen. Chaque document peut être ouvert dans un nouvel onglet ou dans une pop-up.', 'Partage d’examens\u00a0: le bouton de partage permet d’adresser l’examen par mail à un tiers de confiance (praticien, aidant…). Indiquez au minimum son adresse mail\u00a0; un commentaire peut contextualiser le partage. Le lien envoyé, également sous forme de QR code, donne un accès temporaire de 3 jours à l’examen.'] },
      { id: 'quitter', title: '6. Quitter le dossier patient', body: ['Vous pouvez quitter le dossier patient ouvert en cliquant sur la croix à côté du nom du patient. Vous retournez alors sur le tableau de bord, avec votre filtre.'] },
      { id: 'deconnexion', title: '7. Déconnexion', body: ['Vous pouvez vous déconnecter du portail depuis l’icône en haut à droite de l’écran.', 'Attention, en cas d’inactivité prolongée sur le portail, vous êtes déconnecté automatiquement pour des raisons de sécurité. Vous devrez alors vous authentifier à nouveau pour accéder au portail.'] },
    ],
  },
  en: {
    title: 'Help — Professional user guide',
    intro: 'The e-mage portal gives you access to your patients’ medical imaging exams.',
    contents: 'Contents',
    supportTitle: 'Need help?',
    supportText: 'Contact {label} support on {phone} or at {email}.',
    offline: 'Offline? Check your internet connection and reload the page. If the problem persists, contact support.',
    sections: [
      { id: 'acces', title: '1. Accessing the portal', body: ['Go to the portal address your facility gave you.', 'We recommend Firefox or Chrome. Edge and Internet Explorer are not recommended.'] },
      { id: 'connexion', title: '2. Logging in', body: ['Your credentials were sent by e-mail after your account request.', 'If you forgot your password, click “Forgot password” and enter your identifier: an e-mail lets you reset your password.', 'Warning: after 3 failed login attempts, your account is locked for 5 minutes.'] },
      { id: 'tableau-de-bord', title: '3. Dashboard', body: ['After logging in, you land on the dashboard. It gives access to the records of the patients who named you as prescribing or corresponding physician of a medical imaging exam.', 'With the filter at the top of the dashboard, you can filter the patient list by typing the patient’s name. When you validate, the list updates automatically.'] },
      { id: 'notifications', title: '4. Notifications', body: ['You receive an e-mail notification whenever a new exam for which you are the prescribing physician becomes available.', 'Since notifications are not sent by secure e-mail, they contain no patient data. You can find the notification from the bell icon; clicking it opens the patient’s record.'] },
      { id: 'dossier-patient', title: '5. Patient record', body: ['The patient record has two parts: the patient’s administrative information and the patient’s exam results.', 'Administrative information comes from the imaging centres. It is shown for information and cannot be changed in the portal.', 'Results: open them from the left column of the record. You find the list of the patient’s exams (type, title, date). Exams are available only if the patient named you as prescribing or corresponding physician when visiting the imaging centre.', 'Selecting a report displays it in the page; selecting imaging opens the exam’s images. Every document can be opened in a new tab or in a pop-up.', 'Sharing exams: the share button sends the exam by e-mail to a trusted third party (practitioner, carer…). Enter at least their e-mail address; a comment can give context. The link sent, also as a QR code, gives temporary access to the exam for 3 days.'] },
      { id: 'quitter', title: '6. Leaving the patient record', body: ['Leave the open record with the cross next to the patient’s name. You return to the dashboard, with your filter.'] },
      { id: 'deconnexion', title: '7. Logging out', body: ['Log out with the icon at the top right of the screen.', 'Warning: after a long period of inactivity you are logged out automatically for security reasons, and must log in again.'] },
    ],
  },
};
