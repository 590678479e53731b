from core.dsql_migrations import state_only

Migration = state_only("auth", "0002_alter_permission_name_max_length")
