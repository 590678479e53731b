from core.dsql_migrations import original

Migration = original("auth", "0007_alter_validators_add_error_messages")
