package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.oauth.SlackApps;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRef;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;

/**
 * {@code spec.importFrom}: converts a long-lived {@code xoxp-} token into a rotating pair with
 * {@code oauth.v2.exchange} and stores it. Runs only while the connection has no token store at all; Slack
 * exchanges a token once, so a second attempt is a clear InvalidSpec, not a loop.
 */
@ApplicationScoped
public class LegacyImport {

    private final SlackApps apps;
    private final SlackClient slack;
    private final TokenStore store;
    private final Clock clock;

    LegacyImport(SlackApps apps, SlackClient slack, TokenStore store, Clock clock) {
        this.apps = apps;
        this.slack = slack;
        this.store = store;
        this.clock = clock;
    }

    /** A refusal to report as the Ready condition; {@code recheck}: look again later (a missing Secret). */
    public record Refusal(Reason reason, String message, boolean recheck) {
        Refusal(Reason reason, String message) {
            this(reason, message, false);
        }
    }

    /** Transient Slack failures are thrown (JOSDK retries with backoff). */
    public Optional<Refusal> run(SlackUserConnection c, ClientCredentials app) {
        var ref = c.getSpec().getImportFrom().getSecretRef();
        String legacy;
        try {
            legacy = apps.readKey(c.getMetadata().getNamespace(), ref, "spec.importFrom");
        } catch (SlackApps.UnusableAppException e) {
            return Optional.of(new Refusal(Reason.InvalidSpec, e.getMessage(), true));
        }
        if (!legacy.startsWith("xoxp-")) {
            return Optional.of(new Refusal(Reason.InvalidSpec, "spec.importFrom: key '" + ref.getKey() + "' of Secret "
                    + ref.getName() + " does not hold a long-lived user token (xoxp-...)"));
        }
        RefreshedToken pair;
        try {
            pair = slack.exchangeLegacyToken(app, SlackToken.of(legacy));
        } catch (SlackPermanentException e) {
            return Optional.of(switch (e.error()) {
                case "token_already_exchanged" -> new Refusal(Reason.InvalidSpec, "Slack already exchanged the token "
                        + "in Secret " + ref.getName() + " (it allows that once); remove spec.importFrom and authorize "
                        + "through status.authorizeUrl");
                case "token_rotation_not_enabled" -> new Refusal(Reason.InvalidClient, "Token rotation is not enabled "
                        + "for the Slack app, so its tokens cannot be exchanged; enable it under OAuth & Permissions");
                default -> e.isInvalidClient() ? new Refusal(Reason.InvalidClient, "Slack rejected the Slack app's "
                        + "credentials (" + e.error() + ")")
                        : new Refusal(Reason.InvalidSpec, "Slack refused to exchange the token in Secret "
                                + ref.getName() + " (" + e.error() + ")");
            });
        }
        // No network call between the exchange and the store write: the pair Slack just issued must not be lost
        // to a transient failure (a second exchange would answer token_already_exchanged).
        String team = c.getSpec().getTeam();
        String user = c.getSpec().getUser();
        String actualUser = pair.userId().orElse(null);
        boolean teamOk = team == null || team.equals(pair.team().map(SlackRef::id).orElse(null))
                || team.equals(pair.enterprise().map(SlackRef::id).orElse(null));
        if (!teamOk || (user != null && !user.equals(actualUser))) {
            revokeQuietly(pair);
            return Optional.of(new Refusal(Reason.IdentityMismatch, "The imported token belongs to Slack user "
                    + actualUser + " in " + pair.team().map(SlackRef::id).orElse("?") + ", not the expected "
                    + (user != null ? user : "user") + (team != null ? " in " + team : "")
                    + "; its new tokens were revoked"));
        }
        var now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        StoredTokens tokens = new StoredTokens(c.getMetadata().getUid(), pair.token().accessToken(),
                Optional.of(pair.refreshToken()), pair.token().expiresAt(now), pair.token().scopes(),
                actualUser == null ? "" : actualUser, Optional.empty(), pair.team().map(SlackRef::id),
                pair.team().flatMap(SlackRef::name), pair.enterprise().map(SlackRef::id),
                pair.enterprise().flatMap(SlackRef::name), Optional.ofNullable(pair.appId()), Optional.empty(), now,
                null);
        try {
            store.write(c, tokens, null, Map.of(Labels.IMPORTED, ref.getName() + "/" + ref.getKey()));
        } catch (RuntimeException e) {
            revokeQuietly(pair);
            throw e;
        }
        return Optional.empty();
    }

    private void revokeQuietly(RefreshedToken pair) {
        for (SlackToken token : new SlackToken[] { pair.refreshToken(), pair.token().accessToken() }) {
            try {
                slack.revoke(token);
            } catch (SlackApiException e) {
                // Best effort: the pair was never stored, so nothing else can use it.
            }
        }
    }
}
