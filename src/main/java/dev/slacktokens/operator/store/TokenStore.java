package dev.slacktokens.operator.store;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackRef;
import dev.slacktokens.operator.slack.SlackToken;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * The only writer of token Secrets. The <em>store</em> (one Secret per connection in the operator's namespace,
 * named from the connection's uid) is the source of truth and holds the refresh token; the <em>workload
 * Secret</em> in the connection's namespace is a projection without it. Store writes are compare-and-set on the
 * resourceVersion; workload writes always send the full intent.
 */
@ApplicationScoped
public class TokenStore {

    public static final String FIELD_MANAGER = "slack-token-operator";

    private final KubernetesClient client;
    private final OperatorConfig config;

    TokenStore(KubernetesClient client, OperatorConfig config) {
        this.client = client;
        this.config = config;
    }

    /** A compare-and-set write lost against another writer; re-read and decide again. */
    public static final class ConflictException extends RuntimeException {
        ConflictException(String message) {
            super(message, null, false, false);
        }
    }

    public static String storeName(String connectionUid) {
        return "suc-" + connectionUid;
    }

    public String namespace() {
        return config.namespace();
    }

    /** Reads the store directly from the API server (for endpoints, which may not run an informer). */
    public Optional<Secret> fetch(String connectionUid) {
        return Optional.ofNullable(client.secrets().inNamespace(namespace()).withName(storeName(connectionUid)).get());
    }

    /** Parses a store Secret; empty when it holds no usable access token. */
    public static Optional<StoredTokens> parse(Secret secret) {
        if (secret == null || secret.getData() == null) {
            return Optional.empty();
        }
        Map<String, String> d = decode(secret.getData());
        SlackToken access = SlackToken.ofNullable(d.get("access_token"));
        String userId = d.get("user_id");
        if (access == null || userId == null) {
            return Optional.empty();
        }
        Optional<StoredTokens.BotTokens> bot = Optional.ofNullable(SlackToken.ofNullable(d.get("bot_access_token")))
                .map(botAccess -> new StoredTokens.BotTokens(botAccess,
                        Optional.ofNullable(SlackToken.ofNullable(d.get("bot_refresh_token"))),
                        instant(d.get("bot_expires_at")), d.getOrDefault("bot_user_id", ""),
                        scopes(d.get("bot_scope")),
                        instant(d.get("bot_issued_at")).or(() -> instant(d.get("issued_at"))).orElse(Instant.EPOCH)));
        String uid = secret.getMetadata().getLabels() == null ? null
                : secret.getMetadata().getLabels().get(Labels.CONNECTION_UID);
        return Optional.of(new StoredTokens(uid, access, Optional.ofNullable(SlackToken.ofNullable(
                d.get("refresh_token"))), instant(d.get("expires_at")), scopes(d.get("scope")), userId,
                opt(d.get("user_name")), opt(d.get("team_id")), opt(d.get("team_name")), opt(d.get("enterprise_id")),
                opt(d.get("enterprise_name")), opt(d.get("app_id")), bot,
                instant(d.get("issued_at")).orElse(Instant.EPOCH), secret.getMetadata().getResourceVersion()));
    }

    /**
     * Writes a completed authorization into the store: creates it, or replaces it only if it is still at
     * {@code expectedResourceVersion} (null: it must not exist).
     *
     * @param consumedState keyed digest of the OAuth state this authorization consumed (replay detection)
     */
    public void write(SlackUserConnection connection, StoredTokens tokens, Secret existing,
            Map<String, String> extraAnnotations) {
        Map<String, String> annotations = new LinkedHashMap<>();
        Map<String, String> requests = connection.getMetadata().getAnnotations() == null ? Map.of()
                : connection.getMetadata().getAnnotations();
        for (var marker : Map.of(Labels.REFRESH_HANDLED, Labels.REFRESH_REQUEST, Labels.REAUTHORIZE_HANDLED,
                Labels.REAUTHORIZE_REQUEST).entrySet()) {
            // A manual request already present when these tokens were obtained is not about them: mark it handled.
            // Otherwise keep which requests the previous tokens' store had acted on.
            Optional.ofNullable(requests.get(marker.getValue()))
                    .or(() -> Optional.ofNullable(existing).map(e -> annotations(e).get(marker.getKey())))
                    .ifPresent(v -> annotations.put(marker.getKey(), v));
        }
        annotations.put(Labels.AUTHORIZATION_GENERATION, Long.toString(authorizations(existing) + 1));
        annotations.putAll(extraAnnotations);
        save(connection, data(tokens), annotations,
                existing == null ? null : existing.getMetadata().getResourceVersion());
    }

    /**
     * How many authorizations the store has seen: 0 without a store; 1 for a store written before the count
     * existed (it holds one authorization, and links signed back then carry 0).
     */
    public static long authorizations(Secret store) {
        if (store == null) {
            return 0;
        }
        try {
            return Long.parseLong(annotations(store).getOrDefault(Labels.AUTHORIZATION_GENERATION, "1"));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** Records that a manual request (refresh or reauthorize annotation value) was acted on. Compare-and-set. */
    public String markHandled(SlackUserConnection connection, Secret store, String annotation, String value,
            String expectedResourceVersion) {
        Map<String, String> annotations = new LinkedHashMap<>(annotations(store));
        annotations.put(annotation, value);
        return save(connection, store.getData(), annotations, expectedResourceVersion);
    }

    public static Optional<String> annotation(Secret store, String key) {
        return Optional.ofNullable(annotations(store).get(key));
    }

    /**
     * Writes a pair's refresh journal (compare-and-set on the store's resourceVersion): before every Slack call, and
     * with the outcome of a failed one. Returns the store's new resourceVersion.
     */
    public String writeJournal(SlackUserConnection connection, Secret store, TokenPair pair, RefreshJournal journal,
            String expectedResourceVersion) {
        Map<String, String> annotations = new LinkedHashMap<>(annotations(store));
        annotations.put(pair.journalAnnotation(), journal.encode());
        return save(connection, store.getData(), annotations, expectedResourceVersion);
    }

    /**
     * Drops a bot pair Slack no longer accepts, keeping the user token. Compare-and-set on the given store's
     * resourceVersion; the store's labels say whose it is (the events endpoint has no connection).
     */
    public void dropBot(Secret store, String why) {
        StoredTokens next = parse(store).orElseThrow().withBot(Optional.empty());
        Map<String, String> annotations = new LinkedHashMap<>(annotations(store));
        annotations.remove(Labels.REFRESH_JOURNAL_BOT);
        annotations.put(Labels.BOT_DEAD, why);
        var labels = store.getMetadata().getLabels();
        save(labels.get(Labels.CONNECTION_NAMESPACE), connectionName(store), labels.get(Labels.CONNECTION_UID),
                data(next), annotations, store.getMetadata().getResourceVersion());
    }

    /**
     * Persists a rotated pair and closes its journal, compare-and-set against {@code expectedResourceVersion}.
     * Values Slack did not send (user id, team, scopes) keep their stored value; the other pair is untouched.
     */
    public StoredTokens persistRefresh(SlackUserConnection connection, Secret store, TokenPair pair,
            StoredTokens previous, RefreshedToken fresh, Instant now, String expectedResourceVersion,
            Map<String, String> extraAnnotations) {
        StoredTokens next = pair == TokenPair.USER ? new StoredTokens(previous.connectionUid(),
                fresh.token().accessToken(), Optional.of(fresh.refreshToken()), fresh.token().expiresAt(now),
                fresh.token().scopes().isEmpty() ? previous.scopes() : fresh.token().scopes(),
                fresh.userId().orElse(previous.userId()), previous.userName(),
                fresh.team().map(SlackRef::id).or(previous::teamId), previous.teamName(),
                fresh.enterprise().map(SlackRef::id).or(previous::enterpriseId), previous.enterpriseName(),
                Optional.ofNullable(fresh.appId()).or(previous::appId), previous.bot(), now, null)
                : previous.withBot(Optional.of(botPair(previous.bot().orElseThrow(), fresh, now)));
        Map<String, String> annotations = new LinkedHashMap<>(annotations(store));
        annotations.remove(pair.journalAnnotation());
        annotations.putAll(extraAnnotations);
        return next.withResourceVersion(save(connection, data(next), annotations, expectedResourceVersion));
    }

    private static StoredTokens.BotTokens botPair(StoredTokens.BotTokens old, RefreshedToken fresh, Instant now) {
        return new StoredTokens.BotTokens(fresh.token().accessToken(), Optional.of(fresh.refreshToken()),
                fresh.token().expiresAt(now), fresh.botUserId().orElse(old.botUserId()),
                fresh.token().scopes().isEmpty() ? old.scopes() : fresh.token().scopes(), now);
    }

    /**
     * Drops the dead tokens (access, refresh, bot) and records why, keeping the identity. Compare-and-set on the
     * given store's resourceVersion; the store's labels say whose it is (the events endpoint has no connection).
     */
    public void markDead(Secret store, String reason, String message) {
        markDead(store, reason, message, Map.of());
    }

    public void markDead(Secret store, String reason, String message, Map<String, String> extraAnnotations) {
        var labels = store.getMetadata().getLabels();
        Map<String, String> annotations = new LinkedHashMap<>(annotations(store));
        annotations.remove(Labels.REFRESH_JOURNAL);
        annotations.remove(Labels.REFRESH_JOURNAL_BOT);
        annotations.put(Labels.DEAD, reason + ": " + message);
        annotations.putAll(extraAnnotations);
        save(labels.get(Labels.CONNECTION_NAMESPACE), connectionName(store), labels.get(Labels.CONNECTION_UID),
                withoutTokens(store), annotations, store.getMetadata().getResourceVersion());
    }

    private static Map<String, String> withoutTokens(Secret store) {
        Map<String, String> kept = new LinkedHashMap<>(decode(store.getData()));
        TOKEN_KEYS.forEach(kept::remove);
        kept.remove("expires_at");
        return encode(kept);
    }

    /** The name of the connection a store belongs to (the annotation; the label is shortened past 63 characters). */
    public static String connectionName(Secret store) {
        String full = annotations(store).get(Labels.CONNECTION_NAME);
        return full != null ? full : store.getMetadata().getLabels().get(Labels.CONNECTION);
    }

    /** Why the store's tokens were dropped ({@code Reason: message}), if they were. */
    public static Optional<String> dead(Secret store) {
        return Optional.ofNullable(store).map(TokenStore::annotations).map(a -> a.get(Labels.DEAD));
    }

    /** A pair's refresh journal, if one is open or records failures. */
    public static Optional<RefreshJournal> journal(Secret store, TokenPair pair) {
        return Optional.ofNullable(store).flatMap(s -> RefreshJournal.decode(annotations(s)
                .get(pair.journalAnnotation())));
    }

    private static final List<String> TOKEN_KEYS = List.of("access_token", "refresh_token", "bot_access_token",
            "bot_refresh_token", "bot_expires_at", "bot_issued_at");

    private static Map<String, String> annotations(Secret secret) {
        Map<String, String> a = secret.getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }

    private static Map<String, String> data(StoredTokens tokens) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("access_token", tokens.accessToken().reveal());
        tokens.refreshToken().ifPresent(t -> data.put("refresh_token", t.reveal()));
        tokens.expiresAt().ifPresent(t -> data.put("expires_at", t.toString()));
        data.put("scope", String.join(",", tokens.scopes()));
        data.put("user_id", tokens.userId());
        tokens.userName().ifPresent(v -> data.put("user_name", v));
        tokens.teamId().ifPresent(v -> data.put("team_id", v));
        tokens.teamName().ifPresent(v -> data.put("team_name", v));
        tokens.enterpriseId().ifPresent(v -> data.put("enterprise_id", v));
        tokens.enterpriseName().ifPresent(v -> data.put("enterprise_name", v));
        tokens.appId().ifPresent(v -> data.put("app_id", v));
        tokens.bot().ifPresent(bot -> {
            data.put("bot_access_token", bot.accessToken().reveal());
            bot.refreshToken().ifPresent(t -> data.put("bot_refresh_token", t.reveal()));
            bot.expiresAt().ifPresent(t -> data.put("bot_expires_at", t.toString()));
            data.put("bot_user_id", bot.botUserId());
            data.put("bot_scope", String.join(",", bot.scopes()));
            data.put("bot_issued_at", bot.issuedAt().toString());
        });
        data.put("issued_at", tokens.issuedAt().toString());
        return encode(data);
    }

    /** Creates (expected null) or replaces at the expected resourceVersion; returns the new resourceVersion. */
    private String save(SlackUserConnection connection, Map<String, String> encodedData,
            Map<String, String> annotations, String expectedResourceVersion) {
        return save(connection.getMetadata().getNamespace(), connection.getMetadata().getName(),
                connection.getMetadata().getUid(), encodedData, annotations, expectedResourceVersion);
    }

    /** Deletes a connection's token store (finalizer). */
    public void delete(String connectionUid) {
        client.secrets().inNamespace(namespace()).withName(storeName(connectionUid)).delete();
    }

    /** All token stores, read directly (for the events endpoint, which runs on every replica). */
    public List<Secret> listStores() {
        return client.secrets().inNamespace(namespace()).withLabel(Labels.MANAGED_BY, Labels.MANAGER)
                .withLabel(Labels.ROLE, Labels.ROLE_STORE).list().getItems();
    }

    private String save(String connectionNamespace, String connectionName, String connectionUid,
            Map<String, String> encodedData, Map<String, String> storeAnnotations, String expectedResourceVersion) {
        Map<String, String> annotations = new LinkedHashMap<>(storeAnnotations);
        annotations.put(Labels.CONNECTION_NAME, connectionName);
        Secret desired = new SecretBuilder().withNewMetadata().withName(storeName(connectionUid))
                .withNamespace(namespace())
                .addToLabels(Labels.MANAGED_BY, Labels.MANAGER).addToLabels(Labels.ROLE, Labels.ROLE_STORE)
                .addToLabels(Labels.CONNECTION, Labels.labelValue(connectionName))
                .addToLabels(Labels.CONNECTION_NAMESPACE, connectionNamespace)
                .addToLabels(Labels.CONNECTION_UID, connectionUid)
                .withAnnotations(annotations.isEmpty() ? null : annotations)
                .withResourceVersion(expectedResourceVersion)
                .endMetadata().withType("Opaque").withData(encodedData).build();
        var secrets = client.secrets().inNamespace(namespace());
        try {
            Secret saved = expectedResourceVersion == null ? secrets.resource(desired).create()
                    : secrets.resource(desired).update();
            return saved.getMetadata().getResourceVersion();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                throw new ConflictException("token store of " + connectionNamespace + "/" + connectionName
                        + " was changed by another writer");
            }
            throw e;
        }
    }

    /** The workload Secret the connection's pods mount: no refresh token, ever. */
    public Secret desiredWorkloadSecret(SlackUserConnection connection, String secretName, StoredTokens tokens) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("access_token", tokens.accessToken().reveal());
        data.put("token_type", "user");
        data.put("user_id", tokens.userId());
        tokens.teamId().ifPresent(v -> data.put("team_id", v));
        tokens.enterpriseId().ifPresent(v -> data.put("enterprise_id", v));
        data.put("scope", String.join(",", tokens.scopes()));
        tokens.expiresAt().ifPresent(t -> data.put("expires_at", t.toString()));
        tokens.bot().ifPresent(bot -> data.put("bot_access_token", bot.accessToken().reveal()));
        return workloadSecret(connection, secretName, data);
    }

    /** The workload Secret once Slack stopped accepting the tokens: identity only, the dead tokens removed. */
    public Secret desiredWorkloadSecretWithoutTokens(SlackUserConnection connection, String secretName,
            Secret store) {
        Map<String, String> stored = decode(store.getData());
        Map<String, String> data = new LinkedHashMap<>();
        data.put("token_type", "user");
        for (String key : List.of("user_id", "team_id", "enterprise_id")) {
            if (stored.get(key) != null) {
                data.put(key, stored.get(key));
            }
        }
        return workloadSecret(connection, secretName, data);
    }

    private Secret workloadSecret(SlackUserConnection connection, String secretName, Map<String, String> data) {
        Map<String, String> labels = new LinkedHashMap<>();
        var template = connection.getSpec().getSecretTemplate();
        if (template != null && template.getLabels() != null) {
            labels.putAll(template.getLabels());
        }
        labels.put(Labels.MANAGED_BY, Labels.MANAGER);
        labels.put(Labels.ROLE, Labels.ROLE_WORKLOAD);
        labels.put(Labels.CONNECTION, Labels.labelValue(connection.getMetadata().getName()));
        Map<String, String> annotations = new LinkedHashMap<>();
        if (template != null && template.getAnnotations() != null) {
            annotations.putAll(template.getAnnotations());
        }
        return new SecretBuilder().withNewMetadata().withName(secretName)
                .withNamespace(connection.getMetadata().getNamespace()).withLabels(labels)
                .withAnnotations(annotations.isEmpty() ? null : annotations)
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(HasMetadata.getApiVersion(SlackUserConnection.class))
                        .withKind(HasMetadata.getKind(SlackUserConnection.class))
                        .withName(connection.getMetadata().getName())
                        .withUid(connection.getMetadata().getUid()).withController(true)
                        .withBlockOwnerDeletion(true).build())
                .endMetadata().withType("Opaque").withData(encode(data)).build();
    }

    /** Every key this operator may write to a workload Secret. */
    static final List<String> WORKLOAD_KEYS = List.of("access_token", "token_type", "user_id", "team_id",
            "enterprise_id", "scope", "expires_at", "bot_access_token");

    /** Whether the live Secret already carries everything the desired one says (so no write is needed). */
    public static boolean satisfies(Secret live, Secret desired) {
        if (live == null) {
            return false;
        }
        var lm = live.getMetadata();
        var dm = desired.getMetadata();
        Map<String, String> liveData = live.getData() == null ? Map.of() : live.getData();
        // Keys someone else added are theirs (server-side apply leaves them alone): only ours must match.
        boolean dataMatches = desired.getData().entrySet().stream()
                .allMatch(e -> e.getValue().equals(liveData.get(e.getKey())))
                && WORKLOAD_KEYS.stream().filter(k -> !desired.getData().containsKey(k))
                        .noneMatch(liveData::containsKey);
        return dataMatches
                && lm.getLabels() != null && lm.getLabels().entrySet().containsAll(dm.getLabels().entrySet())
                && (dm.getAnnotations() == null || (lm.getAnnotations() != null
                        && lm.getAnnotations().entrySet().containsAll(dm.getAnnotations().entrySet())))
                && lm.getOwnerReferences() != null && lm.getOwnerReferences().stream()
                        .anyMatch(o -> o.getUid().equals(dm.getOwnerReferences().get(0).getUid()));
    }

    /** Writes the workload Secret's full intent (server-side apply with one field manager, or create/update). */
    public void applyWorkloadSecret(Secret desired) {
        var resource = client.secrets().inNamespace(desired.getMetadata().getNamespace()).resource(desired);
        if (config.serverSideApply()) {
            resource.patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                    .withFieldManager(FIELD_MANAGER).withForce(true).build());
        } else {
            resource.createOr(existing -> existing.update());
        }
    }

    /** A Secret read directly (not from a cache). */
    public Secret getSecret(String namespace, String name) {
        return client.secrets().inNamespace(namespace).withName(name).get();
    }

    /** Removes a workload Secret this operator wrote under a name the connection no longer uses. */
    public void deleteWorkloadSecret(Secret stale) {
        client.secrets().inNamespace(stale.getMetadata().getNamespace()).withName(stale.getMetadata().getName())
                .delete();
    }

    /** The store's non-secret fields (user, team, enterprise, app ids), decoded. */
    public static Map<String, String> decodedIdentity(Secret store) {
        Map<String, String> all = decode(store.getData() == null ? Map.of() : store.getData());
        TOKEN_KEYS.forEach(all::remove);
        return all;
    }

    static Map<String, String> encode(Map<String, String> plain) {
        Map<String, String> out = new LinkedHashMap<>();
        plain.forEach((k, v) -> out.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return out;
    }

    static Map<String, String> decode(Map<String, String> data) {
        Map<String, String> out = new LinkedHashMap<>();
        data.forEach((k, v) -> {
            if (v != null) {
                out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
            }
        });
        return out;
    }

    private static Optional<String> opt(String v) {
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    private static Optional<Instant> instant(String v) {
        try {
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(Instant.parse(v));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<String> scopes(String v) {
        return v == null || v.isBlank() ? List.of() : Arrays.stream(v.split(",")).filter(s -> !s.isBlank()).toList();
    }
}
