from core.dsql_migrations import state_only

Migration = state_only("auth", "0007_alter_validators_add_error_messages")
