package dev.slacktokens.operator.store;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

/**
 * The workload Secret a connection's pods mount (pure): what it should hold, with or without live tokens, and whether
 * a live one already says all of it. It never holds a refresh token.
 */
public final class WorkloadSecrets {

    /** Every key this operator may write to a workload Secret. */
    static final List<String> KEYS = List.of("access_token", "token_type", "user_id", "team_id", "enterprise_id",
            "scope", "expires_at", "bot_access_token");

    private WorkloadSecrets() {
    }

    public static String name(SlackUserConnection connection) {
        String own = connection.getSpec().getSecretName();
        return own != null ? own : connection.getMetadata().getName();
    }

    /** The Secret with the live access token(s). */
    public static Secret desired(SlackUserConnection connection, StoredTokens tokens) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("access_token", tokens.accessToken().reveal());
        data.put("token_type", "user");
        data.put("user_id", tokens.userId());
        tokens.teamId().ifPresent(v -> data.put("team_id", v));
        tokens.enterpriseId().ifPresent(v -> data.put("enterprise_id", v));
        data.put("scope", String.join(",", tokens.scopes()));
        tokens.expiresAt().ifPresent(t -> data.put("expires_at", t.toString()));
        tokens.bot().ifPresent(bot -> data.put("bot_access_token", bot.accessToken().reveal()));
        return secret(connection, data);
    }

    /** The Secret once Slack stopped accepting the tokens: identity only, the dead tokens removed. */
    public static Secret withoutTokens(SlackUserConnection connection, StoreState store) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put("token_type", "user");
        for (String key : List.of("user_id", "team_id", "enterprise_id")) {
            if (store.identity().get(key) != null) {
                data.put(key, store.identity().get(key));
            }
        }
        return secret(connection, data);
    }

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
                && KEYS.stream().filter(k -> !desired.getData().containsKey(k)).noneMatch(liveData::containsKey);
        return dataMatches
                && lm.getLabels() != null && lm.getLabels().entrySet().containsAll(dm.getLabels().entrySet())
                && (dm.getAnnotations() == null || (lm.getAnnotations() != null
                        && lm.getAnnotations().entrySet().containsAll(dm.getAnnotations().entrySet())))
                && ownedBy(live, connectionUid(desired));
    }

    /** Whether {@code secret} is controlled by the connection with this uid. */
    public static boolean ownedBy(Secret secret, String connectionUid) {
        var refs = secret.getMetadata().getOwnerReferences();
        return refs != null && refs.stream().anyMatch(o -> connectionUid.equals(o.getUid()));
    }

    public static boolean isWorkload(Secret s) {
        return s.getMetadata().getLabels() != null
                && Labels.ROLE_WORKLOAD.equals(s.getMetadata().getLabels().get(Labels.ROLE));
    }

    private static String connectionUid(Secret desired) {
        return desired.getMetadata().getOwnerReferences().get(0).getUid();
    }

    private static Secret secret(SlackUserConnection connection, Map<String, String> data) {
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
        return new SecretBuilder().withNewMetadata().withName(name(connection))
                .withNamespace(connection.getMetadata().getNamespace()).withLabels(labels)
                .withAnnotations(annotations.isEmpty() ? null : annotations)
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(HasMetadata.getApiVersion(SlackUserConnection.class))
                        .withKind(HasMetadata.getKind(SlackUserConnection.class))
                        .withName(connection.getMetadata().getName())
                        .withUid(connection.getMetadata().getUid()).withController(true)
                        .withBlockOwnerDeletion(true).build())
                .endMetadata().withType("Opaque").withData(StoreCodec.encode(data)).build();
    }
}
