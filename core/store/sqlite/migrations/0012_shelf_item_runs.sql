-- The items of the shelved entities, in runs (docs/architecture.md §7):
-- the item ids of an order are mostly consecutive numbers after one
-- prefix (ROI-007, ROI-008, …), so one row stands for a run of them: the
-- ids prefix followed by first … last, zero-padded to width digits. An id
-- that does not end in 1 to 18 digits is a run of its own, with its whole
-- id as prefix, width 0 and first = last = 0. The owner of an item is
-- that of the run with the greatest first at or below its number.
CREATE TABLE shelf_run (
    kind   TEXT    NOT NULL,
    prefix TEXT    NOT NULL,
    width  INTEGER NOT NULL,
    first  INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    id     TEXT    NOT NULL,
    PRIMARY KEY (kind, prefix, width, first)
) WITHOUT ROWID;
INSERT INTO shelf_run (kind, prefix, width, first, last, id)
SELECT kind,
       CASE WHEN w BETWEEN 1 AND 18 THEN p ELSE item END,
       CASE WHEN w BETWEEN 1 AND 18 THEN w ELSE 0 END,
       CASE WHEN w BETWEEN 1 AND 18 THEN CAST(substr(item, length(p) + 1) AS INTEGER) ELSE 0 END,
       CASE WHEN w BETWEEN 1 AND 18 THEN CAST(substr(item, length(p) + 1) AS INTEGER) ELSE 0 END,
       id
FROM (SELECT kind, item, id, rtrim(item, '0123456789') AS p,
             length(item) - length(rtrim(item, '0123456789')) AS w
      FROM shelf_item);
DROP TABLE shelf_item;
