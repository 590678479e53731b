"""Migration operations that reach the same schema on Aurora DSQL as elsewhere, in the statements DSQL takes.

`AddField` is Django's own on SQLite and PostgreSQL (so databases migrated before keep exactly their history). On
DSQL, where a column added to an existing table takes a name and a type only, it adds the bare column, fills it
with the field's default for the rows already there in a transaction of its own (DDL and DML never share one), and
adds a column CHECK as a NOT VALID constraint validated afterwards. DSQL cannot make an added column NOT NULL:
there the column accepts NULL, which the gateway never writes (Django always writes the field's value).
"""

from __future__ import annotations

from django.db import migrations, transaction


class AddField(migrations.AddField):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor != "dsql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        if field.remote_field is not None and not field.null:
            raise NotImplementedError("a required foreign key is added with its table on Aurora DSQL")
        quote = schema_editor.quote_name
        table, column = quote(model._meta.db_table), quote(field.column)
        parameters = field.db_parameters(connection)
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {parameters['type']}")
        default = field.get_default() if field.has_default() else None
        if default is not None:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {column} = %s", [field.get_db_prep_save(default, connection)])
        if parameters.get("check"):
            name = quote(schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_check"))
            schema_editor.execute(
                schema_editor.sql_create_check % {"table": table, "name": name, "check": parameters["check"]}
            )
            schema_editor.execute(schema_editor.sql_validate_check % {"table": table, "name": name})
