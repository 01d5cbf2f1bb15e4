package dev.slacktokens.operator.reconciler;

import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.connection.SlackApps;
import dev.slacktokens.operator.grant.Grants;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRef;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenStore;

/**
 * {@code spec.importFrom}: converts a long-lived {@code xoxp-} token into a rotating pair with
 * {@code oauth.v2.exchange} and stores it. Runs only while the connection has no token store at all; Slack
 * exchanges a token once, so a second attempt is a clear InvalidSpec, not a loop.
 */
@ApplicationScoped
public class LegacyImport {

    @Inject
    SlackApps apps;
    @Inject
    SlackClient slack;
    @Inject
    TokenStore store;
    @Inject
    Grants grants;

    /** Empty when the pair is stored; else why not. Transient Slack failures are thrown (JOSDK retries). */
    Optional<Plan.Refused> run(SlackUserConnection c, ClientCredentials app, Instant now) {
        var ref = c.getSpec().getImportFrom().getSecretRef();
        String legacy;
        try {
            legacy = apps.readKey(c.getMetadata().getNamespace(), ref, "spec.importFrom");
        } catch (SlackApps.UnusableAppException e) {
            return refused(Reason.InvalidSpec, e.getMessage(), Optional.of(now.plus(Decision.RECHECK)));
        }
        if (!legacy.startsWith("xoxp-")) {
            return refused(Reason.InvalidSpec, "spec.importFrom: key '" + ref.getKey() + "' of Secret "
                    + ref.getName() + " does not hold a long-lived user token (xoxp-...)", Optional.empty());
        }
        RefreshedToken pair;
        try {
            pair = slack.exchangeLegacyToken(app, SlackToken.of(legacy));
        } catch (SlackPermanentException e) {
            return switch (e.error()) {
                case "token_already_exchanged" -> refused(Reason.InvalidSpec, "Slack already exchanged the token in "
                        + "Secret " + ref.getName() + " (it allows that once); remove spec.importFrom and authorize "
                        + "through status.authorizeUrl", Optional.empty());
                case "token_rotation_not_enabled" -> refused(Reason.InvalidClient, "Token rotation is not enabled "
                        + "for the Slack app, so its tokens cannot be exchanged; enable it under OAuth & Permissions",
                        Optional.empty());
                default -> e.isInvalidClient() ? refused(Reason.InvalidClient, "Slack rejected the Slack app's "
                        + "credentials (" + e.error() + ")", Optional.empty())
                        : refused(Reason.InvalidSpec, "Slack refused to exchange the token in Secret "
                                + ref.getName() + " (" + e.error() + ")", Optional.empty());
            };
        }
        // No network call between the exchange and the store write: the pair Slack just issued must not be lost
        // to a transient failure (a second exchange would answer token_already_exchanged).
        var mismatch = Grants.mismatch(c.getSpec(), pair.userId().orElse(null), pair.team(), pair.enterprise());
        if (mismatch.isPresent()) {
            grants.revokeQuietly(Grants.all(pair), "an imported token of another identity");
            return refused(Reason.IdentityMismatch, "The imported token belongs to Slack user "
                    + pair.userId().orElse("?") + " in " + pair.team().map(SlackRef::id).orElse("?") + ": "
                    + mismatch.get() + "; its new tokens were revoked", Optional.empty());
        }
        var m = c.getMetadata();
        var owner = new StoreState.Owner(m.getNamespace(), m.getName(), m.getUid());
        StoreState next = StoreState.empty(owner).authorized(Grants.fromExchange(m.getUid(), pair, now),
                m.getAnnotations(), Optional.empty(), Optional.of(ref.getName() + "/" + ref.getKey()));
        try {
            store.write(next);
        } catch (RuntimeException e) {
            // Maybe done: read back. Landed: imported. Another store (a consent won the race) or none: ours is
            // revoked. Unreadable: nothing is revoked, since it may be stored; the pass fails and the next one sees.
            TokenStore.ReadBack held = store.readBack(next);
            if (held == TokenStore.ReadBack.LANDED) {
                return Optional.empty();
            }
            if (held == TokenStore.ReadBack.NOT_LANDED) {
                grants.revokeQuietly(Grants.all(pair), "an imported pair that could not be stored");
            }
            throw e;
        }
        return Optional.empty();
    }

    private static Optional<Plan.Refused> refused(Reason reason, String message, Optional<Instant> recheck) {
        return Optional.of(new Plan.Refused(reason, message, recheck));
    }
}
