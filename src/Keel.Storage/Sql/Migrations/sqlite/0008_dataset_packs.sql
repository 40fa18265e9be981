-- Chunk packs (issue 6): a local add writes its new chunks a few dozen to a file
-- (datasets/packs/..) instead of a file per chunk, which spared the file system ~900 inode
-- allocations per GB (a fifth of an add's time). A chunk row says where its bytes are: a file of
-- its own (pack NULL: chunks uploaded one by one) or pack_offset in a pack. A pack is recorded
-- before it is written, so a collection can tell a pack still being filled (younger than its
-- cut-off) from one whose chunks are all gone.
CREATE TABLE dataset_packs (
    id TEXT NOT NULL PRIMARY KEY,
    size INTEGER NOT NULL,
    created_time INTEGER NOT NULL
);

ALTER TABLE dataset_chunks ADD COLUMN pack TEXT;
ALTER TABLE dataset_chunks ADD COLUMN pack_offset INTEGER;

CREATE INDEX dataset_chunks_pack ON dataset_chunks (pack) WHERE pack IS NOT NULL;
