import { PGlite } from '@electric-sql/pglite';
import fs from 'fs';
let t=Date.now(); const db = await PGlite.create(); console.log('create', Date.now()-t);
await db.exec('create table x(a int)');
t=Date.now(); const dump = await db.dumpDataDir('none'); console.log('dump', Date.now()-t, dump.size);
fs.writeFileSync('/tmp/tpl.tar', Buffer.from(await dump.arrayBuffer()));
await db.close();
t=Date.now(); const db2 = await PGlite.create({ loadDataDir: new Blob([fs.readFileSync('/tmp/tpl.tar')]) }); console.log('load', Date.now()-t);
console.log((await db2.query('select count(*) from x')).rows, process.memoryUsage().rss/1e6);
