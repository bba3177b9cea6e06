"""Operations on whole collections: index health (check, verify, diagnose, fix) and data movement
(backup, restore, migrate, import, validate)."""
