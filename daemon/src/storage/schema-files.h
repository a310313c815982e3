/* schema-files.h - the SQL migrations compiled into the binaries
 * (generated from schema/ by daemon/gen-schema.sh). */
#ifndef TANDEM_SCHEMA_FILES_H
#define TANDEM_SCHEMA_FILES_H

struct schema_file {
	const char *driver;  /* "sqlite" or "pgsql" */
	int version;         /* NNN of NNN-name.sql */
	const char *name;
	const char *sql;
};

/* Terminated by an entry with driver NULL; sorted by driver, then version. */
extern const struct schema_file schema_files[];

#endif
