// Copies of DICOM files under new Study, Series and SOP Instance UIDs, for benches that store the
// same files more than once (bench:dicomweb's STOW turns): a server given a file it holds
// answers from its index, which measures nothing of storing.
import { randomInt } from 'node:crypto';
import dicomParser from 'dicom-parser';

const UID_TAGS = ['x0020000d', 'x0020000e', 'x00080018'];

/** A UID of the same length as `uid` (so that no element length changes): 2.25. and random digits. */
function sameLengthUid(uid) {
  const digits = uid.length - 5;
  if (digits < 1) return undefined;
  let out = `2.25.${randomInt(1, 10)}`;
  while (out.length < uid.length) out += String(randomInt(0, 10));
  return out;
}

function uidsOf(data) {
  try {
    const set = dicomParser.parseDicom(new Uint8Array(data.buffer, data.byteOffset, data.length));
    return UID_TAGS.map((tag) => set.string(tag));
  } catch {
    return undefined;
  }
}

/**
 * The files with every occurrence of their three UIDs replaced (one new UID per old one across
 * all the files, so that files of one series stay one series), and how many could not be: a
 * file whose UIDs are not all found in its bytes as written (a deflated data set) is left out,
 * as is one the parser cannot read back with the new UIDs.
 */
export function withFreshUids(files) {
  const renamed = new Map();
  const out = [];
  let skipped = 0;
  for (const file of files) {
    const uids = uidsOf(file);
    if (!uids || uids.some((u) => !u)) {
      skipped++;
      continue;
    }
    let data = Buffer.from(file);
    // The longest first: a UID may begin with another (a SOP Instance UID made of its series' and
    // a suffix), which would be renamed inside it otherwise.
    for (const uid of [...new Set(uids)].sort((a, b) => b.length - a.length)) {
      if (!renamed.has(uid)) renamed.set(uid, sameLengthUid(uid));
      const next = renamed.get(uid);
      if (!next) break;
      const from = Buffer.from(uid, 'latin1');
      const to = Buffer.from(next, 'latin1');
      for (let at = data.indexOf(from); at >= 0; at = data.indexOf(from, at + to.length)) to.copy(data, at);
    }
    const after = uidsOf(data);
    if (!after || after.some((u, i) => u !== renamed.get(uids[i]))) {
      skipped++;
      continue;
    }
    out.push(data);
  }
  return { files: out, skipped };
}
