//! Admin accounts: first-run setup, login/logout, and managing other admins.

pub mod password;
pub mod sessions;
pub mod throttle;

use std::sync::Arc;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::api::{
    error::ApiError,
    types::{AuditAction, Role},
    validate,
};
use crate::server::{
    audit::{self, Actor, ActorKind, Event},
    clock::SharedClock,
    db,
    entities::{self, users},
    error::{ServiceError, ServiceResult},
};

use self::sessions::SessionToken;

pub struct Accounts {
    db: DatabaseConnection,
    clock: SharedClock,
    hashing: Arc<password::HashGate>,
}

pub struct NewAdmin<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub role: Role,
}

pub fn user_actor(user: &users::Model, ip: Option<&str>) -> Actor {
    Actor {
        kind: ActorKind::User,
        id: Some(user.id.clone()),
        label: user.name.clone(),
        ip: ip.map(str::to_owned),
        secret_hash: None,
    }
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Records that `count` sessions of a user were ended (by a password change or a disable).
async fn sessions_ended<C: sea_orm::ConnectionTrait>(
    conn: &C,
    now: i64,
    actor: &Actor,
    user_id: &str,
    count: u64,
    reason: &str,
) -> ServiceResult<()> {
    audit::record(
        conn,
        now,
        actor,
        Event {
            action: AuditAction::AuthSessionsEnded,
            key: None,
            detail: json!({"user_id": user_id, "sessions": count, "reason": reason}),
        },
    )
    .await
}

impl Accounts {
    pub fn new(
        db: DatabaseConnection,
        clock: SharedClock,
        hashing: Arc<password::HashGate>,
    ) -> Self {
        Self { db, clock, hashing }
    }

    /// The password-hashing gate this service admits hashes through.
    pub fn hashing(&self) -> &Arc<password::HashGate> {
        &self.hashing
    }

    pub async fn needs_setup(&self) -> ServiceResult<bool> {
        Ok(users::Entity::find().count(&self.db).await? == 0)
    }

    async fn validated(&self, input: &NewAdmin<'_>) -> ServiceResult<(String, String, String)> {
        let email = validate::email("email", input.email)?;
        let name = validate::name("name", input.name)?;
        validate::password("password", input.password)?;
        let hash = self.hashing.hash(input.password.to_owned()).await?;
        Ok((email, name, hash))
    }

    fn new_user(
        &self,
        email: String,
        name: String,
        hash: String,
        role: Role,
    ) -> users::ActiveModel {
        let now = self.clock.now_ms();
        users::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            email_lower: Set(email.to_lowercase()),
            email: Set(email),
            name: Set(name),
            password_hash: Set(hash),
            created_at: Set(now),
            last_login_at: Set(None),
            disabled_at: Set(None),
            password_changed_at: Set(now),
            role: Set(role.as_str().to_owned()),
        }
    }

    /// Creates the first admin; refused for good once any admin exists.
    pub async fn setup(
        &self,
        input: NewAdmin<'_>,
        ip: Option<&str>,
    ) -> ServiceResult<users::Model> {
        if !self.needs_setup().await? {
            return Err(ApiError::AlreadySetUp.into());
        }
        let (email, name, hash) = self.validated(&input).await?;
        // The first account can do everything, whatever was asked.
        let model = self.new_user(email, name, hash, Role::Admin);
        // Serializable: two concurrent first visitors cannot both become the first admin.
        let attempt = async {
            let txn = db::begin_serializable(&self.db).await?;
            if users::Entity::find().count(&txn).await? > 0 {
                return Err(ApiError::AlreadySetUp.into());
            }
            let user = model.insert(&txn).await?;
            audit::record(
                &txn,
                self.clock.now_ms(),
                &user_actor(&user, ip),
                Event {
                    action: AuditAction::AdminSetup,
                    key: None,
                    detail: json!({"email": user.email}),
                },
            )
            .await?;
            txn.commit().await?;
            Ok::<_, ServiceError>(user)
        };
        match attempt.await {
            Err(ServiceError::Db(_)) if !self.needs_setup().await? => {
                Err(ApiError::AlreadySetUp.into())
            }
            other => other,
        }
    }

    pub async fn create_admin(
        &self,
        actor: &Actor,
        input: NewAdmin<'_>,
    ) -> ServiceResult<users::Model> {
        let (email, name, hash) = self.validated(&input).await?;
        let txn = db::begin_write(&self.db).await?;
        let user = match self
            .new_user(email, name, hash, input.role)
            .insert(&txn)
            .await
        {
            Ok(user) => user,
            Err(e) if is_unique_violation(&e) => {
                return Err(ApiError::validation(
                    "email",
                    "An admin with this email already exists.",
                )
                .into())
            }
            Err(e) => return Err(e.into()),
        };
        audit::record(
            &txn,
            self.clock.now_ms(),
            actor,
            Event {
                action: AuditAction::AdminCreated,
                key: None,
                detail: json!({"user_id": user.id, "email": user.email, "role": user.role}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Fails unless an enabled admin-role account other than `user_id` exists (read inside a
    /// serializable transaction, so two concurrent demotions cannot both pass).
    async fn another_admin_remains<C: sea_orm::ConnectionTrait>(
        conn: &C,
        user_id: &str,
        refusal: &str,
    ) -> ServiceResult<()> {
        let others = users::Entity::find()
            .filter(users::Column::DisabledAt.is_null())
            .filter(users::Column::Role.eq(Role::Admin.as_str()))
            .filter(users::Column::Id.ne(user_id))
            .count(conn)
            .await?;
        if others == 0 {
            return Err(ApiError::Forbidden(refusal.into()).into());
        }
        Ok(())
    }

    /// Gives an account another role. The last enabled admin cannot become a viewer (no one
    /// could then manage anything).
    pub async fn set_role(
        &self,
        actor: &Actor,
        user_id: &str,
        role: Role,
    ) -> ServiceResult<users::Model> {
        db::serializably(|| self.set_role_once(actor, user_id, role)).await
    }

    async fn set_role_once(
        &self,
        actor: &Actor,
        user_id: &str,
        role: Role,
    ) -> ServiceResult<users::Model> {
        let now = self.clock.now_ms();
        let txn = db::begin_serializable(&self.db).await?;
        let user = users::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| ServiceError::not_found("Admin"))?;
        if user.role() == role {
            txn.rollback().await?;
            return Ok(user);
        }
        if role != Role::Admin && user.disabled_at.is_none() {
            Self::another_admin_remains(
                &txn,
                user_id,
                "The last admin cannot become a viewer: make another account an admin first.",
            )
            .await?;
        }
        let from = user.role.clone();
        let mut active = user.into_active_model();
        active.role = Set(role.as_str().to_owned());
        let user = active.update(&txn).await?;
        audit::record(
            &txn,
            now,
            actor,
            Event {
                action: AuditAction::AdminRoleChanged,
                key: None,
                detail: json!({"user_id": user.id, "email": user.email, "from": from, "to": user.role}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Counts a password attempt for `email_lower` from `ip` before it is made (refused at once
    /// over a limit), then waits for a bounded hashing slot; an attempt that gets no slot is
    /// given back, not counted. Logins, sudo confirmations and password changes all go here.
    async fn attempt(
        &self,
        email_lower: &str,
        ip: &str,
        now: i64,
    ) -> ServiceResult<(throttle::Reservation, password::Slot)> {
        let reservation = throttle::reserve(&self.db, email_lower, ip, now).await?;
        match self.hashing.enter().await {
            Ok(slot) => Ok((reservation, slot)),
            Err(busy) => {
                throttle::release(&self.db, reservation).await?;
                Err(busy)
            }
        }
    }

    /// Checks credentials (throttled per email and per IP) and opens a session.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        ip: &str,
        user_agent: Option<&str>,
    ) -> ServiceResult<(SessionToken, users::Model)> {
        // Whatever was typed is only ever compared or counted; control characters (which
        // PostgreSQL text cannot even hold) are dropped from the recorded attempt.
        let email_lower: String = email
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_control())
            .take(validate::EMAIL_MAX)
            .collect();
        let now = self.clock.now_ms();
        let (reservation, slot) = self.attempt(&email_lower, ip, now).await?;
        let user = users::Entity::find()
            .filter(users::Column::EmailLower.eq(email_lower.as_str()))
            .one(&self.db)
            .await?;
        let ok = password::verify_in(
            slot,
            password.to_owned(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
        let user = match user {
            Some(user) if ok && user.disabled_at.is_none() => user,
            other => {
                // The reservation stays a failure. Only a known account is named: what was
                // typed into the email field may be anything, even a password.
                let reason = match &other {
                    Some(u) if ok && u.disabled_at.is_some() => "disabled",
                    _ => "invalid_credentials",
                };
                let txn = db::begin_write(&self.db).await?;
                audit::record(
                    &txn,
                    now,
                    &Actor {
                        ip: Some(ip.to_owned()),
                        ..Actor::system("anonymous")
                    },
                    Event {
                        action: AuditAction::AuthLoginFailed,
                        key: None,
                        detail: json!({
                            "user_id": other.as_ref().map(|u| &u.id),
                            "email": other.as_ref().map(|u| &u.email),
                            "reason": reason,
                        }),
                    },
                )
                .await?;
                txn.commit().await?;
                return Err(ApiError::InvalidCredentials.into());
            }
        };
        let txn = db::begin_write(&self.db).await?;
        throttle::succeeded(&txn, reservation).await?;
        let mut active = user.into_active_model();
        active.last_login_at = Set(Some(now));
        let user = active.update(&txn).await?;
        let token = sessions::create(&txn, &user.id, Some(ip), user_agent, now).await?;
        audit::record(
            &txn,
            now,
            &user_actor(&user, Some(ip)),
            Event {
                action: AuditAction::AuthLogin,
                key: None,
                detail: json!({"user_id": user.id, "user_agent": user_agent}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok((token, user))
    }

    pub async fn session(
        &self,
        token: &str,
    ) -> ServiceResult<Option<(entities::sessions::Model, users::Model)>> {
        sessions::resolve(&self.db, token, self.clock.now_ms()).await
    }

    /// Sudo mode: the signed-in admin proves their password again, and the session may do
    /// sensitive things for a while (`Settings::reauth_window`). Throttled like a login (the attempt counts
    /// against the account and the address before the hash is checked).
    pub async fn confirm_password(
        &self,
        user_id: &str,
        session_hash: &str,
        password: &str,
        ip: &str,
    ) -> ServiceResult<()> {
        let user = users::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let now = self.clock.now_ms();
        let (reservation, slot) = self.attempt(&user.email_lower, ip, now).await?;
        let ok = password::verify_in(slot, password.to_owned(), Some(user.password_hash.clone()))
            .await?;
        if !ok {
            let txn = db::begin_write(&self.db).await?;
            audit::record(
                &txn,
                now,
                &user_actor(&user, Some(ip)),
                Event {
                    action: AuditAction::AuthLoginFailed,
                    key: None,
                    detail: json!({"user_id": user.id, "email": user.email, "reason": "reauthentication"}),
                },
            )
            .await?;
            txn.commit().await?;
            return Err(ApiError::validation("password", "Password is incorrect.").into());
        }
        let txn = db::begin_write(&self.db).await?;
        throttle::succeeded(&txn, reservation).await?;
        entities::sessions::Entity::update_many()
            .col_expr(
                entities::sessions::Column::ReauthenticatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(entities::sessions::Column::TokenHash.eq(session_hash))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            now,
            &user_actor(&user, Some(ip)),
            Event {
                action: AuditAction::AuthPasswordConfirmed,
                key: None,
                detail: json!({"user_id": user.id}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn logout(&self, actor: &Actor, token_hash: &str) -> ServiceResult<()> {
        let txn = db::begin_write(&self.db).await?;
        sessions::delete(&txn, token_hash).await?;
        audit::record(
            &txn,
            self.clock.now_ms(),
            actor,
            Event {
                action: AuditAction::AuthLogout,
                key: None,
                detail: json!({"user_id": actor.id}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn list(&self) -> ServiceResult<Vec<users::Model>> {
        Ok(users::Entity::find()
            .order_by_asc(users::Column::CreatedAt)
            .all(&self.db)
            .await?)
    }

    /// Disables or re-enables an admin. Nobody disables themselves or the last active admin;
    /// a disabled admin's sessions end at once.
    pub async fn set_disabled(
        &self,
        actor: &Actor,
        user_id: &str,
        disabled: bool,
    ) -> ServiceResult<users::Model> {
        db::serializably(|| self.set_disabled_once(actor, user_id, disabled)).await
    }

    async fn set_disabled_once(
        &self,
        actor: &Actor,
        user_id: &str,
        disabled: bool,
    ) -> ServiceResult<users::Model> {
        if disabled && actor.id.as_deref() == Some(user_id) {
            return Err(ApiError::Forbidden("You cannot disable yourself.".into()).into());
        }
        let now = self.clock.now_ms();
        let txn = db::begin_serializable(&self.db).await?;
        let user = users::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .ok_or_else(|| ServiceError::not_found("Admin"))?;
        if user.disabled_at.is_some() == disabled {
            txn.rollback().await?;
            return Ok(user);
        }
        if disabled && user.role() == Role::Admin {
            Self::another_admin_remains(&txn, user_id, "The last active admin cannot be disabled.")
                .await?;
        }
        let mut active = user.into_active_model();
        active.disabled_at = Set(disabled.then_some(now));
        let user = active.update(&txn).await?;
        if disabled {
            let ended = sessions::delete_for_user(&txn, &user.id).await?;
            sessions_ended(&txn, now, actor, &user.id, ended, "admin_disabled").await?;
        }
        audit::record(
            &txn,
            now,
            actor,
            Event {
                action: if disabled {
                    AuditAction::AdminDisabled
                } else {
                    AuditAction::AdminEnabled
                },
                key: None,
                detail: json!({"user_id": user.id, "email": user.email}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(user)
    }

    /// Changes a password after checking the current one; every session of the user ends and
    /// a fresh one is returned for the caller.
    pub async fn change_password(
        &self,
        user_id: &str,
        current: &str,
        new: &str,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> ServiceResult<SessionToken> {
        let user = users::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| ServiceError::not_found("Admin"))?;
        validate::password("new_password", new)?;
        // Guessing the current password from a stolen session is throttled like a login.
        let now = self.clock.now_ms();
        let attempt_ip = ip.unwrap_or("unknown");
        let (reservation, slot) = self.attempt(&user.email_lower, attempt_ip, now).await?;
        if !password::verify_in(slot, current.to_owned(), Some(user.password_hash.clone())).await? {
            return Err(
                ApiError::validation("current_password", "Current password is incorrect.").into(),
            );
        }
        let hash = self.hashing.hash(new.to_owned()).await?;
        let txn = db::begin_write(&self.db).await?;
        throttle::succeeded(&txn, reservation).await?;
        let mut active = user.clone().into_active_model();
        active.password_hash = Set(hash);
        active.password_changed_at = Set(now);
        active.update(&txn).await?;
        let ended = sessions::delete_for_user(&txn, &user.id).await?;
        sessions_ended(
            &txn,
            now,
            &user_actor(&user, ip),
            &user.id,
            ended,
            "password_changed",
        )
        .await?;
        let token = sessions::create(&txn, &user.id, ip, user_agent, now).await?;
        audit::record(
            &txn,
            now,
            &user_actor(&user, ip),
            Event {
                action: AuditAction::AdminPasswordChanged,
                key: None,
                detail: json!({}),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(token)
    }
}
