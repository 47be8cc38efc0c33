//! Which rows a key mutation locks, and in what order: the targets, every key they created when
//! cascading, and the acting key itself, all in one pass in id order. Every writer that locks
//! several keys (mutations, cascades, the usage flush) takes them in that one order, so none can
//! wait on another in a cycle on PostgreSQL. The acting key is re-read under the lock, so a key
//! disabled, deleted or narrowed since it authenticated can no longer act.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::api::{
    error::{ApiError, KeyRejection},
    types::Scope,
};
use crate::server::{
    audit::{Actor, ActorKind},
    entities::api_keys,
    error::{ServiceError, ServiceResult},
};

use super::bounds::{KeyBounds, KeyLimits};

/// A cascade reaches at most this many keys.
pub const MAX_CASCADE: usize = 10_000;

/// The rows a mutation holds, and the acting key's bounds (`None` for admins).
pub struct Locked {
    /// The requested keys and (cascading) their descendants, in id order.
    pub targets: Vec<api_keys::Model>,
    pub bounds: Option<KeyBounds>,
    /// The acting key's row (for the ancestry of keys it creates).
    pub actor_row: Option<api_keys::Model>,
}

/// Reads and (on PostgreSQL) locks the rows of `ids`, in id order.
async fn lock_keys(txn: &DatabaseTransaction, ids: &[&str]) -> ServiceResult<Vec<api_keys::Model>> {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut rows = Vec::with_capacity(sorted.len());
    for chunk in sorted.chunks(500) {
        let mut query = api_keys::Entity::find()
            .filter(api_keys::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(api_keys::Column::Id);
        if txn.get_database_backend() == DbBackend::Postgres {
            query = query.lock_exclusive();
        }
        rows.extend(query.all(txn).await?);
    }
    Ok(rows)
}

/// The ids of every key created by one of `roots`, transitively: by recorded ancestry (which
/// survives the deletion of a key in between) and by creator links (for keys made before
/// ancestry was recorded).
pub async fn descendant_ids<C: ConnectionTrait>(
    conn: &C,
    roots: &[&str],
) -> ServiceResult<Vec<String>> {
    let mut seen: HashSet<String> = roots.iter().map(|id| (*id).to_owned()).collect();
    let mut found = Vec::new();
    for chunk in roots.chunks(100) {
        let mut any = Condition::any();
        for root in chunk {
            any = any.add(api_keys::Column::Ancestors.contains(*root));
        }
        let ids: Vec<String> = api_keys::Entity::find()
            .select_only()
            .column(api_keys::Column::Id)
            .filter(any)
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(ids.into_iter().filter(|id| seen.insert(id.clone())));
    }
    let mut frontier: Vec<String> = roots.iter().map(|id| (*id).to_owned()).collect();
    frontier.extend(found.iter().cloned());
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for parents in frontier.chunks(500) {
            let children: Vec<String> = api_keys::Entity::find()
                .select_only()
                .column(api_keys::Column::Id)
                .filter(api_keys::Column::CreatedByKind.eq(ActorKind::Key.as_str()))
                .filter(api_keys::Column::CreatedById.is_in(parents.iter().map(String::as_str)))
                .into_tuple()
                .all(conn)
                .await?;
            for child in children {
                if seen.insert(child.clone()) {
                    next.push(child.clone());
                    found.push(child);
                }
            }
        }
        frontier = next;
    }
    Ok(found)
}

/// The bounds of the acting key, from its row as locked now.
fn live_bounds(
    actor: &Actor,
    row: Option<&api_keys::Model>,
    now_ms: i64,
) -> ServiceResult<KeyBounds> {
    let row = row.ok_or(ServiceError::Api(ApiError::InvalidKey(
        KeyRejection::NotFound,
    )))?;
    if row.disabled_at.is_some() {
        return Err(ApiError::InvalidKey(KeyRejection::Disabled).into());
    }
    if row.expires_at.is_some_and(|at| at <= now_ms) {
        return Err(ApiError::InvalidKey(KeyRejection::Expired).into());
    }
    let own = KeyLimits::of(row);
    // Every mutation needs keys:write: a key that lost it since it authenticated has lost it.
    if !own.scopes.contains(&Scope::KeysWrite) {
        return Err(ApiError::MissingScope(Scope::KeysWrite).into());
    }
    Ok(KeyBounds {
        own,
        // Judged on the row as locked now, not on what some cache thought when it authenticated.
        superseded: actor.secret_hash.as_deref() != Some(row.secret_hash.as_str()),
    })
}

/// Locks `roots`, with `cascade` every key they created, and the acting key, in id order. A key
/// created meanwhile by one of them is found by a second look (none can appear after it: a key
/// creating a key locks itself first) and locked too.
pub async fn lock(
    txn: &DatabaseTransaction,
    roots: &[&str],
    cascade: bool,
    actor: &Actor,
    now_ms: i64,
) -> ServiceResult<Locked> {
    let acting = (actor.kind == ActorKind::Key)
        .then_some(actor.id.as_deref())
        .flatten();
    // Key ids are UUIDs: anything else names no key (and never reaches a LIKE pattern). A
    // cascade descends only from roots that exist.
    let roots: Vec<&str> = roots
        .iter()
        .copied()
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .collect();
    let roots = &roots[..];
    let family = if cascade && !roots.is_empty() {
        let existing: Vec<String> = api_keys::Entity::find()
            .select_only()
            .column(api_keys::Column::Id)
            .filter(api_keys::Column::Id.is_in(roots.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        let existing: Vec<&str> = existing.iter().map(String::as_str).collect();
        descendant_ids(txn, &existing).await?
    } else {
        Vec::new()
    };
    let mut wanted: HashSet<String> = roots.iter().map(|id| (*id).to_owned()).collect();
    wanted.extend(family);
    // Admins may clean up any number of keys; a key's own cascades are bounded.
    if acting.is_some() && wanted.len() > MAX_CASCADE {
        return Err(ServiceError::validation(
            "cascade",
            format!("An API key's cascade may reach at most {MAX_CASCADE} keys."),
        ));
    }
    let ids: Vec<&str> = wanted.iter().map(String::as_str).chain(acting).collect();
    let mut rows = lock_keys(txn, &ids).await?;
    let actor_row = acting.and_then(|id| rows.iter().find(|m| m.id == id).cloned());
    rows.retain(|m| wanted.contains(&m.id));
    // Look again under the locks until nothing new appears (a locked key cannot create more).
    let locked_roots: Vec<String> = rows
        .iter()
        .filter(|m| roots.contains(&m.id.as_str()))
        .map(|m| m.id.clone())
        .collect();
    if cascade && !locked_roots.is_empty() {
        let locked_roots: Vec<&str> = locked_roots.iter().map(String::as_str).collect();
        loop {
            let late: Vec<String> = descendant_ids(txn, &locked_roots)
                .await?
                .into_iter()
                .filter(|id| !wanted.contains(id))
                .collect();
            if late.is_empty() {
                break;
            }
            let refs: Vec<&str> = late.iter().map(String::as_str).collect();
            rows.extend(lock_keys(txn, &refs).await?);
            wanted.extend(late);
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    let bounds = acting
        .map(|_| live_bounds(actor, actor_row.as_ref(), now_ms))
        .transpose()?;
    Ok(Locked {
        targets: rows,
        bounds,
        actor_row,
    })
}

/// For each of `targets`, the requested key it was reached from by cascading (`None` for the
/// requested keys themselves).
pub fn lineage<'a>(targets: &'a [api_keys::Model], requested: &[&str]) -> Vec<Option<&'a str>> {
    let by_id: HashMap<&str, &api_keys::Model> =
        targets.iter().map(|m| (m.id.as_str(), m)).collect();
    targets
        .iter()
        .map(|m| {
            if requested.contains(&m.id.as_str()) {
                return None;
            }
            // The nearest requested ancestor, by recorded ancestry, then by creator links.
            if let Some(root) = m
                .ancestors
                .split_whitespace()
                .rev()
                .find(|a| requested.contains(a))
            {
                return by_id.get(root).map(|t| t.id.as_str());
            }
            let mut at = m;
            for _ in 0..targets.len() {
                let parent = at.created_by_id.as_deref()?;
                if requested.contains(&parent) {
                    return by_id.get(parent).map(|t| t.id.as_str());
                }
                at = by_id.get(parent)?;
            }
            None
        })
        .collect()
}
