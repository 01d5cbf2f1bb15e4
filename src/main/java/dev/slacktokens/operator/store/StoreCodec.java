package dev.slacktokens.operator.store;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.slacktokens.operator.slack.SlackToken;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

/**
 * The token store's format (pure): a {@link StoreState} to and from the store Secret. Tokens and identity are the
 * Secret's data; the journals, markers and counts are its annotations; whose store it is, its labels (the connection's
 * full name is an annotation too: a label value is capped at 63 characters).
 */
public final class StoreCodec {

    static final List<String> TOKEN_KEYS = List.of("access_token", "refresh_token", "bot_access_token",
            "bot_refresh_token", "bot_expires_at", "bot_issued_at");

    private static final Set<String> KNOWN = Set.of(Labels.REFRESH_JOURNAL, Labels.REFRESH_JOURNAL_BOT, Labels.DEAD,
            Labels.BOT_DEAD, Labels.REFRESH_HANDLED, Labels.REAUTHORIZE_HANDLED, Labels.AUTHORIZATION_GENERATION,
            Labels.CONSUMED_STATE, Labels.IMPORTED, Labels.CONNECTION_NAME);

    private StoreCodec() {
    }

    public static String storeName(String connectionUid) {
        return "suc-" + connectionUid;
    }

    /** Whose store it is, from its labels (the full name from its annotation: a label value is capped). */
    public static StoreState.Owner ownerOf(Secret secret) {
        Map<String, String> labels = secret.getMetadata().getLabels() == null ? Map.of()
                : secret.getMetadata().getLabels();
        Map<String, String> a = secret.getMetadata().getAnnotations() == null ? Map.of()
                : secret.getMetadata().getAnnotations();
        return new StoreState.Owner(labels.get(Labels.CONNECTION_NAMESPACE),
                a.getOrDefault(Labels.CONNECTION_NAME, labels.get(Labels.CONNECTION)), labels.get(Labels.CONNECTION_UID));
    }

    public static StoreState decode(Secret secret) {
        Map<String, String> a = secret.getMetadata().getAnnotations() == null ? Map.of()
                : secret.getMetadata().getAnnotations();
        Map<String, String> data = decode(secret.getData() == null ? Map.of() : secret.getData());
        var owner = ownerOf(secret);
        Map<TokenPair, RefreshJournal> journals = new EnumMap<>(TokenPair.class);
        for (TokenPair pair : TokenPair.values()) {
            RefreshJournal.decode(a.get(pair.journalAnnotation())).ifPresent(j -> journals.put(pair, j));
        }
        Map<String, String> other = new LinkedHashMap<>(a);
        KNOWN.forEach(other::remove);
        Map<String, String> identity = new LinkedHashMap<>(data);
        TOKEN_KEYS.forEach(identity::remove);
        String rv = secret.getMetadata().getResourceVersion();
        return new StoreState(owner, tokens(owner.uid(), data, rv), identity, journals,
                Optional.ofNullable(a.get(Labels.DEAD)).map(StoreState.Death::decode),
                Optional.ofNullable(a.get(Labels.BOT_DEAD)), Optional.ofNullable(a.get(Labels.REFRESH_HANDLED)),
                Optional.ofNullable(a.get(Labels.REAUTHORIZE_HANDLED)), authorizations(a.get(
                        Labels.AUTHORIZATION_GENERATION)), Optional.ofNullable(a.get(Labels.CONSUMED_STATE)),
                Optional.ofNullable(a.get(Labels.IMPORTED)), other, rv);
    }

    /** The store Secret for {@code state}, in the operator's namespace, at the state's resourceVersion. */
    public static Secret encode(StoreState state, String operatorNamespace) {
        Map<String, String> a = new LinkedHashMap<>(state.other());
        state.journals().forEach((pair, j) -> a.put(pair.journalAnnotation(), j.encode()));
        state.dead().ifPresent(d -> a.put(Labels.DEAD, d.encode()));
        state.botDead().ifPresent(v -> a.put(Labels.BOT_DEAD, v));
        state.refreshHandled().ifPresent(v -> a.put(Labels.REFRESH_HANDLED, v));
        state.reauthorizeHandled().ifPresent(v -> a.put(Labels.REAUTHORIZE_HANDLED, v));
        if (state.authorizations() > 0) {
            a.put(Labels.AUTHORIZATION_GENERATION, Long.toString(state.authorizations()));
        }
        state.consumedState().ifPresent(v -> a.put(Labels.CONSUMED_STATE, v));
        state.imported().ifPresent(v -> a.put(Labels.IMPORTED, v));
        var owner = state.owner();
        a.put(Labels.CONNECTION_NAME, owner.name());
        Map<String, String> data = state.tokens().map(StoreCodec::data).orElse(state.identity());
        return new SecretBuilder().withNewMetadata().withName(storeName(owner.uid())).withNamespace(operatorNamespace)
                .addToLabels(Labels.MANAGED_BY, Labels.MANAGER).addToLabels(Labels.ROLE, Labels.ROLE_STORE)
                .addToLabels(Labels.CONNECTION, Labels.labelValue(owner.name()))
                .addToLabels(Labels.CONNECTION_NAMESPACE, owner.namespace())
                .addToLabels(Labels.CONNECTION_UID, owner.uid())
                .withAnnotations(a).withResourceVersion(state.resourceVersion())
                .endMetadata().withType("Opaque").withData(encode(data)).build();
    }

    /** The non-secret fields of these tokens, as stored. */
    static Map<String, String> identityOf(StoredTokens tokens) {
        Map<String, String> identity = data(tokens);
        TOKEN_KEYS.forEach(identity::remove);
        return identity;
    }

    /**
     * How many authorizations the store has seen: 1 for a store written before the count existed (it holds one
     * authorization, and links signed back then carry 0).
     */
    private static long authorizations(String value) {
        try {
            return value == null ? 1 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static Optional<StoredTokens> tokens(String uid, Map<String, String> d, String rv) {
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
        return Optional.of(new StoredTokens(uid, access, Optional.ofNullable(SlackToken.ofNullable(
                d.get("refresh_token"))), instant(d.get("expires_at")), scopes(d.get("scope")), userId,
                opt(d.get("user_name")), opt(d.get("team_id")), opt(d.get("team_name")), opt(d.get("enterprise_id")),
                opt(d.get("enterprise_name")), opt(d.get("app_id")), bot,
                instant(d.get("issued_at")).orElse(Instant.EPOCH), rv));
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
        return data;
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
