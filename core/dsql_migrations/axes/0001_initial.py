from core.dsql_migrations import final_tables

Migration = final_tables("axes", "0001_initial")
