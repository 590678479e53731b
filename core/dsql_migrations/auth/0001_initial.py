from core.dsql_migrations import final_tables

Migration = final_tables("auth", "0001_initial")
