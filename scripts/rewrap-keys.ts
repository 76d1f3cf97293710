/**
 * npm run keys:rewrap
 * After the active master key changes (a new PAYLOAD_KEY_ID, with the old key still listed in
 * PAYLOAD_KEYS), rewraps every customer's data key with the active one. Once it reports 0 left,
 * the old master key can be removed from PAYLOAD_KEYS as far as personal data is concerned (the
 * payload codec may still need it for old histories).
 */
import { loadConfig } from '../config';
import { connectMongo } from '../infra/mongo';
import { createPersonalData, masterKeysOf } from '../infra/personal-data';

async function main() {
  const config = loadConfig();
  const master = masterKeysOf(config);
  const mongo = await connectMongo(config);
  try {
    const personalData = createPersonalData(mongo.db, master);
    const rewrapped = await personalData.rewrap();
    const left = await mongo.db
      .collection('subject_keys')
      .countDocuments({ wrapped: { $ne: null }, masterKeyId: { $ne: master.currentId } });
    console.log(
      `rewrapped ${rewrapped} data keys with master key "${master.currentId}"; ${left} still wrapped with another key`,
    );
    process.exitCode = left === 0 ? 0 : 1;
  } finally {
    await mongo.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
