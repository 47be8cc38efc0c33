//! Read-only admins: a `viewer` sees keys, admins and the audit log and changes nothing; the
//! server enforces it on every function, and the last admin cannot stop being one.

use http::StatusCode;
use serde_json::json;

use crate::{
    common::{Caller, TestApp},
    on_both,
};

on_both!(
    a_viewer_sees_everything_and_changes_nothing,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let admin = Caller::Admin(app.setup_admin().await);
        let (id, secret) = app.create_key(&admin, json!({"name": "Woo"})).await;
        let viewer = Caller::Admin(app.add_account(&admin, "vic@example.com", "viewer").await);

        // Who they are, as the app learns it.
        let r = app.call("auth.session", json!({}), &viewer).await;
        assert_eq!(r.json["user"]["role"], "viewer", "{}", r.text);
        let r = app.call("admins.list", json!({}), &viewer).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let roles: Vec<(&str, &str)> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["email"].as_str().unwrap(), a["role"].as_str().unwrap()))
            .collect();
        assert!(
            roles.contains(&("ann@example.com", "admin"))
                && roles.contains(&("vic@example.com", "viewer")),
            "{roles:?}"
        );

        // What they may read.
        for (path, body) in [
            ("keys.list", json!({})),
            ("keys.get", json!({"id": id})),
            ("keys.usage", json!({"id": id})),
            ("keys.history", json!({"id": id})),
            ("audit.list", json!({})),
        ] {
            let r = app.call(path, body, &viewer).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
            assert!(!r.text.contains(&secret), "{path} shows the secret");
        }

        // What they may not do, even with a fresh password: each is refused and changes nothing.
        app.confirm_password(&viewer).await;
        let before = app.call("keys.list", json!({}), &admin).await.json["total"].clone();
        let admin_id = roles_id(&app, &admin, "ann@example.com").await;
        for (path, body) in [
            ("keys.reveal", json!({"id": id})),
            ("keys.create", json!({"name": "mine"})),
            ("keys.update", json!({"id": id, "name": "renamed"})),
            ("keys.roll", json!({"id": id, "grace_seconds": 0})),
            ("keys.disable", json!({"id": id})),
            ("keys.enable", json!({"id": id})),
            ("keys.delete", json!({"id": id})),
            ("keys.bulk_delete", json!({"ids": [id]})),
            ("keys.verify", json!({"key": secret})),
            (
                "admins.create",
                json!({"email": "eve@example.com", "name": "Eve", "password": "correct horse battery staple", "role": "admin"}),
            ),
            ("admins.set_role", json!({"id": admin_id, "role": "viewer"})),
            (
                "admins.set_disabled",
                json!({"id": admin_id, "disabled": true}),
            ),
        ] {
            let r = app.call(path, body, &viewer).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
            assert_eq!(r.code(), "forbidden", "{path}");
            assert!(
                r.json["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("admin role"),
                "{path}: {}",
                r.text
            );
            assert!(!r.text.contains(&secret));
        }
        let after = app.call("keys.get", json!({"id": id}), &admin).await;
        assert_eq!(after.json["name"], "Woo");
        assert_eq!(after.json["status"], "active");
        assert_eq!(
            app.call("keys.list", json!({}), &admin).await.json["total"],
            before
        );
        assert_eq!(
            app.call("admins.list", json!({}), &admin)
                .await
                .json
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // Whoami works with the key: the viewer's refusals touched nothing.
        assert_eq!(
            app.call("whoami", json!({}), &Caller::Key(secret.clone()))
                .await
                .status,
            StatusCode::OK
        );

        // They may still mind their own session.
        let r = app.call("auth.change_password", json!({"current_password": "correct horse battery staple", "new_password": "another long passphrase"}), &viewer).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

async fn roles_id(app: &TestApp, caller: &Caller, email: &str) -> String {
    let r = app.call("admins.list", json!({}), caller).await;
    r.json
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .unwrap()
}

on_both!(
    roles_change_from_the_next_request_and_the_last_admin_stays,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        let ann_id = roles_id(&app, &ann, "ann@example.com").await;

        // Alone, Ann cannot become a viewer (nobody could manage anything), nor be disabled.
        let r = app
            .call(
                "admins.set_role",
                json!({"id": ann_id, "role": "viewer"}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        assert!(r.text.contains("last admin"), "{}", r.text);

        // A viewer does not count as another admin.
        let vic = Caller::Admin(app.add_account(&ann, "vic@example.com", "viewer").await);
        let vic_id = roles_id(&app, &ann, "vic@example.com").await;
        let r = app
            .call(
                "admins.set_role",
                json!({"id": ann_id, "role": "viewer"}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

        // Promoted, Vic's existing session may manage from its next request on.
        let (id, _) = app.create_key(&ann, json!({"name": "Woo"})).await;
        assert_eq!(
            app.call("keys.disable", json!({"id": id}), &vic)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let r = app
            .call(
                "admins.set_role",
                json!({"id": vic_id, "role": "admin"}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json["role"], "admin");
        let r = app.call("keys.disable", json!({"id": id}), &vic).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        // Now Ann may step down, and her own session loses the rights at once.
        let r = app
            .call(
                "admins.set_role",
                json!({"id": ann_id, "role": "viewer"}),
                &ann,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            app.call("keys.enable", json!({"id": id}), &ann)
                .await
                .code(),
            "forbidden"
        );
        assert_eq!(
            app.call("auth.session", json!({}), &ann).await.json["user"]["role"],
            "viewer"
        );

        // Each change is in the audit log, with who made it.
        let r = app.call("audit.list", json!({}), &vic).await;
        let changes: Vec<_> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "admin.role_changed")
            .map(|e| {
                (
                    e["detail"]["to"].as_str().unwrap().to_owned(),
                    e["actor_label"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            changes,
            [
                ("viewer".to_owned(), "Ann Admin".to_owned()),
                ("admin".to_owned(), "Ann Admin".to_owned())
            ],
            "{}",
            r.text
        );

        // The last enabled admin cannot be disabled either; a disabled admin does not count.
        let r = app
            .call(
                "admins.set_disabled",
                json!({"id": vic_id, "disabled": true}),
                &vic,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
        let r = app
            .call(
                "admins.set_role",
                json!({"id": vic_id, "role": "viewer"}),
                &vic,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);

        // An unknown role is a clear error that changes nothing.
        let r = app
            .call(
                "admins.set_role",
                json!({"id": ann_id, "role": "owner"}),
                &vic,
            )
            .await;
        assert!(r.status.is_client_error(), "{}", r.text);
        assert_eq!(
            app.call("auth.session", json!({}), &ann).await.json["user"]["role"],
            "viewer"
        );
    }
);

on_both!(
    accounts_made_before_roles_existed_keep_every_right,
    |backend| async move {
        let app = TestApp::new(backend).await;
        let ann = Caller::Admin(app.setup_admin().await);
        // The migration's default: a row written without a role (as before m0008) is an admin.
        app.exec("INSERT INTO users (id, email, email_lower, name, password_hash, created_at, password_changed_at) VALUES ('00000000-0000-7000-8000-000000000001', 'old@example.com', 'old@example.com', 'Old', 'x', 0, 0)").await;
        let r = app.call("admins.list", json!({}), &ann).await;
        let old = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"] == "old@example.com")
            .unwrap()
            .clone();
        assert_eq!(old["role"], "admin");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_demoting_each_other_at_once_leave_one_admin() {
    let app = TestApp::new(crate::common::Backend::Postgres).await;
    let ann = Caller::Admin(app.setup_admin().await);
    let bob = Caller::Admin(app.add_account(&ann, "bob@example.com", "admin").await);
    let ann_id = roles_id(&app, &ann, "ann@example.com").await;
    let bob_id = roles_id(&app, &ann, "bob@example.com").await;
    for _ in 0..10 {
        let (a, b) = tokio::join!(
            app.call(
                "admins.set_role",
                json!({"id": bob_id, "role": "viewer"}),
                &ann
            ),
            app.call(
                "admins.set_role",
                json!({"id": ann_id, "role": "viewer"}),
                &bob
            ),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::FORBIDDEN],
            "{} / {}",
            a.text,
            b.text
        );
        let r = app.call("admins.list", json!({}), &ann).await;
        let admins = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["role"] == "admin")
            .count();
        assert_eq!(admins, 1);
        // The one still an admin makes the other an admin again, for the next round.
        let (keeper, other_id) = if a.status == StatusCode::OK {
            (&ann, &bob_id)
        } else {
            (&bob, &ann_id)
        };
        let r = app
            .call(
                "admins.set_role",
                json!({"id": other_id, "role": "admin"}),
                keeper,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}
