package sqlite

import (
	"fmt"
	"strings"
)

// CheckName refuses a store name that is a PostgreSQL connection string
// of keyword=value pairs ("host=db1 dbname=orders"): taken as a file
// name, it would make a SQLite store of that name in the working
// directory, and a server meant for PostgreSQL would run on it.
func CheckName(file string) error {
	key, _, ok := strings.Cut(strings.TrimSpace(file), "=")
	if !ok || !connectionKeywords[strings.TrimSpace(key)] {
		return nil
	}
	return fmt.Errorf("sqlite store: %q is a PostgreSQL connection string, not a file: name a PostgreSQL database by its URL (postgres://USER@HOST:PORT/DB?sslmode=…)", file)
}

// connectionKeywords are the keywords a PostgreSQL keyword=value
// connection string most often begins with.
var connectionKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true,
	"password": true, "sslmode": true, "service": true, "connect_timeout": true,
	"application_name": true, "options": true, "target_session_attrs": true,
}
