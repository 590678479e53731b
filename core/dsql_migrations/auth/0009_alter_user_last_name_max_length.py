from core.dsql_migrations import state_only

Migration = state_only("auth", "0009_alter_user_last_name_max_length")
