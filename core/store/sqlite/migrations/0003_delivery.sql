-- Delivery cursors of the hub notifier (core/events): for each hub
-- listener, the seq of the last journal record it was given (or that did
-- not concern it); a restart resumes after it. The row of listener '' is
-- how far the notifier has looked for listeners registered or removed.
CREATE TABLE delivery_cursor (
    listener TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL
);
