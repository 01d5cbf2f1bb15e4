package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.api.v1alpha1.GoDuration;
import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.oauth.AuthorizeLinks;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;

/**
 * A connection that has tokens: refresh them when the policy (or a manual request) says so, project the workload
 * Secret, and say in status how things stand. Write order: token store → workload Secret → status → Event.
 */
@ApplicationScoped
public class TokenLifecycle {

    private final TokenStore store;
    private final TokenRefresher refresher;
    private final AuthorizeLinks links;
    private final OperatorConfig config;
    private final Clock clock;

    TokenLifecycle(TokenStore store, TokenRefresher refresher, AuthorizeLinks links, OperatorConfig config,
            Clock clock) {
        this.store = store;
        this.refresher = refresher;
        this.links = links;
        this.config = config;
        this.clock = clock;
    }

    /** The outcome, or empty when the tokens died during this pass (the caller shows the tokenless state). */
    Optional<Step> withTokens(SlackUserConnection c, SlackUserConnectionStatus status, Secret storeSecret,
            StoredTokens tokens, ClientCredentials app, Consumer<Secret> project) {
        Instant now = clock.instant();
        forgetOlderHistory(status, tokens);
        String request = annotation(c, Labels.REFRESH_REQUEST);
        boolean manual = request != null
                && !request.equals(TokenStore.annotation(storeSecret, Labels.REFRESH_HANDLED).orElse(null));
        String uid = c.getMetadata().getUid();
        Duration margin = refreshBefore(c);
        RefreshSchedule.Due user = RefreshSchedule.of(TokenPair.USER, uid, tokens,
                TokenStore.journal(storeSecret, TokenPair.USER), manual, margin, now);
        Optional<RefreshJournal> failures = user.failures();
        Duration requeue = user.waitFrom(now).orElse(null);
        boolean refreshedNow = false;
        boolean attempted = false;
        Duration queued = null;
        if (user.now() && refresher.halted()) {
            requeue = RefreshPolicy.MIN_WAIT;
        } else if (user.now()) {
            attempted = true;
            var outcome = refresher.refresh(c, storeSecret, TokenPair.USER, app,
                    manual ? Map.of(Labels.REFRESH_HANDLED, request) : Map.of());
            if (outcome instanceof TokenRefresher.Outcome.Refreshed r) {
                tokens = r.tokens();
                refreshedNow = true;
                failures = Optional.empty();
                status.setLastRefreshTime(clock.instant().toString());
                user = RefreshSchedule.of(TokenPair.USER, uid, tokens, Optional.empty(), false, margin,
                        clock.instant());
                requeue = user.waitFrom(clock.instant()).orElse(null);
            } else if (outcome instanceof TokenRefresher.Outcome.Dead) {
                return Optional.empty();
            } else if (outcome instanceof TokenRefresher.Outcome.Superseded) {
                // Another writer changed the store: its informer event brings the new state; keep the condition.
                return Optional.of(ReadyCondition.get(status).map(x -> new Step("True".equals(x.getStatus()),
                        Reason.valueOf(x.getReason()), x.getMessage(), RefreshPolicy.MIN_WAIT))
                        .orElse(new Step(false, Reason.AwaitingAuthorization, "The token store changed; looking again",
                                RefreshPolicy.MIN_WAIT)));
            } else if (outcome instanceof TokenRefresher.Outcome.Queued q) {
                queued = q.delay();
                requeue = q.delay();
            } else if (outcome instanceof TokenRefresher.Outcome.Failed f) {
                failures = Optional.of(f.journal());
                user = RefreshSchedule.Due.retrying(f.journal());
                requeue = user.waitFrom(clock.instant()).orElse(RefreshPolicy.MIN_WAIT);
            }
        } else if (manual && tokens.refreshToken().isEmpty()) {
            store.markHandled(c, storeSecret, Labels.REFRESH_HANDLED, request,
                    storeSecret.getMetadata().getResourceVersion());
        }
        // The bot pair goes on its own schedule, but not in a pass where the user refresh just failed at Slack.
        BotStep bot = attempted && !refreshedNow ? BotStep.NONE : bot(c, storeSecret, tokens, app, margin);
        tokens = bot.tokens() != null ? bot.tokens() : tokens;
        refreshedNow |= bot.refreshed();
        project.accept(store.desiredWorkloadSecret(c, ConnectionStatus.secretName(c), tokens));
        ConnectionStatus.showIdentity(status, c, tokens);
        status.setRefreshAt(user.at().map(Instant::toString).orElse(null));
        status.setFailedRefreshAttempts(failures.map(RefreshJournal::failures).orElse(null));
        status.setLastFailureTime(failures.flatMap(RefreshJournal::failedAt).map(Instant::toString).orElse(null));
        requeue = shortest(shortest(requeue, bot.requeue()), links.recheckAfter());
        Instant later = clock.instant();
        boolean valid = tokens.expiresAt().map(later::isBefore).orElse(true);
        String validity = valid ? "the current token stays valid until " + tokens.expiresAt().map(Object::toString)
                .orElse("?") : "the access token EXPIRED at " + tokens.expiresAt().map(Object::toString).orElse("?");
        if (failures.isPresent()) {
            RefreshJournal j = failures.get();
            String next = j.retryAt().map(Object::toString).orElse("?");
            if (j.invalidClient()) {
                return Optional.of(new Step(false, Reason.InvalidClient, "Slack rejected the Slack app's credentials ("
                        + j.error().orElse("?") + "); fix the client id/secret; next try at " + next + "; " + validity,
                        requeue));
            }
            return Optional.of(new Step(valid, Reason.RefreshRetrying, "Refresh attempt " + j.failures() + " failed ("
                    + j.error().orElse("?") + "); retrying at " + next + "; " + validity, requeue));
        }
        if (queued != null && !valid) {
            return Optional.of(new Step(false, Reason.RefreshRetrying, "The refresh waits for the operator's own "
                    + "limit on oauth.v2.access (" + config.slack().oauthAccessPerMinute() + " calls per minute, "
                    + "shared by all connections); next try in " + Math.max(1, queued.toSeconds()) + " s; "
                    + validity, requeue));
        }
        List<String> missing = ConnectionStatus.missingScopes(c, tokens);
        String where = " is in Secret " + ConnectionStatus.secretName(c);
        if (!missing.isEmpty()) {
            status.setAuthorizeUrl(links.linkFor(c, status.getAuthorizeUrl(), TokenStore.authorizations(storeSecret)));
            return Optional.of(new Step(false, Reason.MissingScopes, "Slack did not grant "
                    + String.join(",", missing) + "; the token of " + ConnectionStatus.who(tokens) + where
                    + " lacks them. Open status.authorizeUrl and grant them.", requeue));
        }
        status.setAuthorizeUrl(null);
        boolean refreshed = status.getLastRefreshTime() != null;
        return Optional.of(new Step(true, refreshed ? Reason.Refreshed : Reason.Authorized,
                (refreshed ? "Refreshed token of " : "Token of ") + ConnectionStatus.who(tokens) + where
                        + tokens.expiresAt().map(t -> "; valid until " + t).orElse("") + bot.note(),
                requeue, refreshedNow));
    }

    private static Duration shortest(Duration a, Duration b) {
        return a == null ? b : b == null ? a : a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * Tokens newer than the last refresh came from a new authorization (or import): the refresh history of the old
     * tokens no longer describes them.
     */
    private static void forgetOlderHistory(SlackUserConnectionStatus status, StoredTokens tokens) {
        if (status.getLastRefreshTime() != null
                && tokens.issuedAt().isAfter(Instant.parse(status.getLastRefreshTime()))) {
            status.setLastRefreshTime(null);
        }
    }

    /** What happened to the bot pair in this pass. */
    private record BotStep(StoredTokens tokens, boolean refreshed, Duration requeue, String note) {
        static final BotStep NONE = new BotStep(null, false, null, "");
    }

    /**
     * The bot pair of a bot+user install rotates on its own schedule (it was issued at another time than the user
     * token after the first refresh), with the same protocol and its own journal. Its failures are noted in the
     * message; the Ready condition follows the user token, which is what the connection is for.
     */
    private BotStep bot(SlackUserConnection c, Secret storeSecret, StoredTokens tokens, ClientCredentials app,
            Duration margin) {
        if (tokens.bot().flatMap(StoredTokens.BotTokens::refreshToken).isEmpty()) {
            return BotStep.NONE;
        }
        // The user refresh of this pass (if any) moved the store on: work from what it holds now.
        Secret current = tokens.resourceVersion() != null
                && !tokens.resourceVersion().equals(storeSecret.getMetadata().getResourceVersion())
                        ? store.fetch(c.getMetadata().getUid()).orElse(storeSecret) : storeSecret;
        Instant now = clock.instant();
        RefreshSchedule.Due due = RefreshSchedule.of(TokenPair.BOT, c.getMetadata().getUid(),
                TokenStore.parse(current).orElse(tokens), TokenStore.journal(current, TokenPair.BOT), false, margin,
                now);
        if (!due.now() || refresher.halted()) {
            return new BotStep(null, false, due.now() ? RefreshPolicy.MIN_WAIT : due.waitFrom(now).orElse(null),
                    failureNote(due.failures()));
        }
        var outcome = refresher.refresh(c, current, TokenPair.BOT, app, Map.of());
        if (outcome instanceof TokenRefresher.Outcome.Refreshed r) {
            var next = RefreshSchedule.of(TokenPair.BOT, c.getMetadata().getUid(), r.tokens(), Optional.empty(), false,
                    margin, clock.instant());
            return new BotStep(r.tokens(), true, next.waitFrom(clock.instant()).orElse(null), "");
        }
        if (outcome instanceof TokenRefresher.Outcome.Dead dead) {
            return new BotStep(TokenStore.parse(store.fetch(c.getMetadata().getUid()).orElse(current)).orElse(null),
                    false, null, "; " + dead.message());
        }
        if (outcome instanceof TokenRefresher.Outcome.Queued q) {
            return new BotStep(null, false, q.delay(), "");
        }
        if (outcome instanceof TokenRefresher.Outcome.Failed f) {
            var retry = RefreshSchedule.Due.retrying(f.journal());
            return new BotStep(null, false, retry.waitFrom(clock.instant()).orElse(RefreshPolicy.MIN_WAIT),
                    failureNote(retry.failures()));
        }
        return new BotStep(null, false, RefreshPolicy.MIN_WAIT, "");
    }

    private static String failureNote(Optional<RefreshJournal> failures) {
        return failures.map(j -> "; the bot token's refresh failed " + j.failures() + " time(s) ("
                + j.error().orElse("?") + "), next try at " + j.retryAt().map(Object::toString).orElse("?"))
                .orElse("");
    }

    private Duration refreshBefore(SlackUserConnection c) {
        String own = c.getSpec().getRefreshBefore();
        return own != null ? GoDuration.parse(own) : config.refreshBefore();
    }

    static String annotation(SlackUserConnection c, String key) {
        var a = c.getMetadata().getAnnotations();
        return a == null ? null : a.get(key);
    }
}
