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
import dev.slacktokens.operator.slack.SlackRateLimitedException;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoredTokens;
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
        RefreshPolicy.Decision decision = decide(c, status, tokens, storeSecret, now);
        String request = annotation(c, Labels.REFRESH_REQUEST);
        // A manual request forces a refresh, but not past a pending failure's backoff (no hot loop on Slack).
        boolean manual = request != null
                && !request.equals(TokenStore.annotation(storeSecret, Labels.REFRESH_HANDLED).orElse(null))
                && Optional.ofNullable(status.getFailedRefreshAttempts()).orElse(0) == 0;
        Step failed = null;
        boolean refreshedNow = false;
        if ((decision.refreshNow() || manual) && tokens.refreshToken().isPresent() && !refresher.halted()) {
            var outcome = refresher.refresh(c, storeSecret, tokens, app,
                    manual ? Map.of(Labels.REFRESH_HANDLED, request) : Map.of());
            if (outcome instanceof TokenRefresher.Outcome.Refreshed r) {
                tokens = r.tokens();
                refreshedNow = true;
                status.setLastRefreshTime(clock.instant().toString());
                status.setFailedRefreshAttempts(null);
                status.setLastFailureTime(null);
                decision = decide(c, status, tokens, null, clock.instant());
            } else if (outcome instanceof TokenRefresher.Outcome.Dead) {
                return Optional.empty();
            } else if (outcome instanceof TokenRefresher.Outcome.Superseded) {
                // Another writer changed the store: its informer event brings the new state; keep the condition.
                return Optional.of(ReadyCondition.get(status).map(x -> new Step("True".equals(x.getStatus()),
                        Reason.valueOf(x.getReason()), x.getMessage(), RefreshPolicy.MIN_WAIT))
                        .orElse(new Step(false, Reason.AwaitingAuthorization, "The token store changed; looking again",
                                RefreshPolicy.MIN_WAIT)));
            } else {
                failed = failure(c, status, tokens, outcome, now);
                decision = decide(c, status, tokens, null, now);
            }
        } else if (manual && tokens.refreshToken().isEmpty()) {
            store.markHandled(c, storeSecret, Labels.REFRESH_HANDLED, request,
                    storeSecret.getMetadata().getResourceVersion());
        }
        if (failed == null && !refreshedNow) {
            failed = pendingFailure(status, tokens, now);
        }
        BotStep bot = failed == null ? bot(c, storeSecret, tokens, app, now) : BotStep.NONE;
        tokens = bot.tokens() != null ? bot.tokens() : tokens;
        refreshedNow |= bot.refreshed();
        project.accept(store.desiredWorkloadSecret(c, ConnectionStatus.secretName(c), tokens));
        ConnectionStatus.showIdentity(status, c, tokens);
        status.setRefreshAt(decision.refreshAt().map(Instant::toString).orElse(null));
        boolean canRefresh = tokens.refreshToken().isPresent();
        Duration requeue = decision.waitFor()
                .orElse(decision.refreshNow() && canRefresh ? RefreshPolicy.MIN_WAIT : null);
        if (requeue == null || requeue.compareTo(links.recheckAfter()) > 0) {
            requeue = links.recheckAfter();
        }
        if (bot.requeue() != null && bot.requeue().compareTo(requeue) < 0) {
            requeue = bot.requeue();
        }
        if (failed != null) {
            return Optional.of(new Step(failed.ready(), failed.reason(), failed.message(), requeue));
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

    /**
     * Tokens newer than the last refresh or failure came from a new authorization (or import): the refresh history
     * of the old tokens no longer describes them.
     */
    private static void forgetOlderHistory(SlackUserConnectionStatus status, StoredTokens tokens) {
        Instant issued = tokens.issuedAt();
        if (status.getLastRefreshTime() != null && issued.isAfter(Instant.parse(status.getLastRefreshTime()))) {
            status.setLastRefreshTime(null);
        }
        if (status.getLastFailureTime() != null && issued.isAfter(Instant.parse(status.getLastFailureTime()))) {
            status.setLastFailureTime(null);
            status.setFailedRefreshAttempts(null);
        }
    }

    /** What happened to the bot pair in this pass. */
    private record BotStep(StoredTokens tokens, boolean refreshed, Duration requeue, String note) {
        static final BotStep NONE = new BotStep(null, false, null, "");
    }

    /** A failing bot refresh is retried this often (its failures do not drive the connection's condition). */
    static final Duration BOT_RETRY = Duration.ofSeconds(30);

    /**
     * The bot pair of a bot+user install rotates on its own schedule (it was issued at another time than the user
     * token after the first refresh). Its failures are retried every {@link #BOT_RETRY} and noted in the message; the
     * Ready condition follows the user token, which is what the connection is for.
     */
    private BotStep bot(SlackUserConnection c, Secret storeSecret, StoredTokens tokens, ClientCredentials app,
            Instant now) {
        if (tokens.bot().isEmpty() || tokens.bot().get().refreshToken().isEmpty()
                || tokens.bot().get().expiresAt().isEmpty()) {
            return BotStep.NONE;
        }
        var bot = tokens.bot().get();
        boolean journalOpen = TokenStore.journal(storeSecret, Labels.REFRESH_JOURNAL_BOT)
                .map(j -> j.isFor(bot.refreshToken().get())).orElse(false);
        RefreshPolicy.Decision d = RefreshPolicy.decide(c.getMetadata().getUid() + "/bot", bot.issuedAt(),
                bot.expiresAt(), refreshBefore(c), 0, Optional.empty(), Optional.empty(), now);
        if ((!d.refreshNow() && !journalOpen) || refresher.halted()) {
            return new BotStep(null, false, d.waitFor().orElse(RefreshPolicy.MIN_WAIT), "");
        }
        // The user refresh of this pass (if any) moved the store on: work from what it holds now.
        Secret current = tokens.resourceVersion() != null
                && !tokens.resourceVersion().equals(storeSecret.getMetadata().getResourceVersion())
                        ? store.fetch(c.getMetadata().getUid()).orElse(storeSecret) : storeSecret;
        var outcome = refresher.refreshBot(c, current, TokenStore.parse(current).orElse(tokens), app);
        if (outcome instanceof TokenRefresher.Outcome.Refreshed r) {
            var next = r.tokens().bot().orElseThrow();
            Duration wait = RefreshPolicy.decide(c.getMetadata().getUid() + "/bot", next.issuedAt(), next.expiresAt(),
                    refreshBefore(c), 0, Optional.empty(), Optional.empty(), clock.instant()).waitFor()
                    .orElse(RefreshPolicy.MIN_WAIT);
            return new BotStep(r.tokens(), true, wait, "");
        }
        if (outcome instanceof TokenRefresher.Outcome.Dead dead) {
            return new BotStep(TokenStore.parse(store.fetch(c.getMetadata().getUid()).orElse(current)).orElse(null),
                    false, null, "; " + dead.message());
        }
        if (outcome instanceof TokenRefresher.Outcome.Superseded) {
            return new BotStep(null, false, RefreshPolicy.MIN_WAIT, "");
        }
        var cause = outcome instanceof TokenRefresher.Outcome.Retry rt ? rt.cause()
                : ((TokenRefresher.Outcome.InvalidClient) outcome).cause();
        return new BotStep(null, false, BOT_RETRY, "; the bot token's refresh failed (" + cause.error()
                + "), retrying in " + BOT_RETRY.toSeconds() + " s");
    }

    /** A failed refresh: counted, timed, and Ready only while the current access token is still valid. */
    private Step failure(SlackUserConnection c, SlackUserConnectionStatus status, StoredTokens tokens,
            TokenRefresher.Outcome outcome, Instant now) {
        int attempts = Optional.ofNullable(status.getFailedRefreshAttempts()).orElse(0) + 1;
        status.setFailedRefreshAttempts(attempts);
        status.setLastFailureTime(now.toString());
        var cause = outcome instanceof TokenRefresher.Outcome.Retry r ? r.cause()
                : ((TokenRefresher.Outcome.InvalidClient) outcome).cause();
        Optional<Duration> retryAfter = cause instanceof SlackRateLimitedException rl ? Optional.of(rl.retryAfter())
                : Optional.empty();
        RefreshPolicy.Decision next = RefreshPolicy.decide(c.getMetadata().getUid(), tokens.issuedAt(),
                tokens.expiresAt(), refreshBefore(c), attempts, Optional.of(now), retryAfter, now);
        status.setRefreshAt(next.refreshAt().map(Instant::toString).orElse(null));
        boolean valid = tokens.expiresAt().map(now::isBefore).orElse(true);
        String expiry = tokens.expiresAt().map(Object::toString).orElse("?");
        String validity = valid ? "the current token stays valid until " + expiry
                : "the access token EXPIRED at " + expiry;
        if (outcome instanceof TokenRefresher.Outcome.InvalidClient) {
            return new Step(false, Reason.InvalidClient, "Slack rejected the Slack app's credentials (" + cause.error()
                    + "); fix the client id/secret; " + validity, null);
        }
        return new Step(valid, Reason.RefreshRetrying, "Refresh attempt " + attempts + " failed (" + cause.error()
                + "); retrying at " + status.getRefreshAt() + "; " + validity, null);
    }

    /** While a failed refresh waits for its retry, the failure stays visible (Ready drops once the token expired). */
    private static Step pendingFailure(SlackUserConnectionStatus status, StoredTokens tokens, Instant now) {
        if (Optional.ofNullable(status.getFailedRefreshAttempts()).orElse(0) == 0) {
            return null;
        }
        return ReadyCondition.get(status)
                .filter(x -> Reason.RefreshRetrying.name().equals(x.getReason())
                        || Reason.InvalidClient.name().equals(x.getReason()))
                .map(x -> new Step("True".equals(x.getStatus()) && tokens.expiresAt().map(now::isBefore).orElse(true),
                        Reason.valueOf(x.getReason()), x.getMessage(), null))
                .orElse(null);
    }

    /**
     * The policy's decision, plus: an open refresh journal for the current refresh token with no failure recorded
     * means a refresh was interrupted between Slack's answer and the store write (a crash, a lost leader), so it is
     * retried at once with the same refresh token, inside Slack's grace period.
     */
    private RefreshPolicy.Decision decide(SlackUserConnection c, SlackUserConnectionStatus status, StoredTokens tokens,
            Secret storeSecret, Instant now) {
        int attempts = Optional.ofNullable(status.getFailedRefreshAttempts()).orElse(0);
        Optional<Instant> lastFailure = Optional.ofNullable(status.getLastFailureTime()).map(Instant::parse);
        // After a failure, status.refreshAt holds the retry time chosen then (it may include a Retry-After).
        Optional<Duration> retryAfter = attempts > 0 && lastFailure.isPresent() && status.getRefreshAt() != null
                ? Optional.of(Duration.between(lastFailure.get(), Instant.parse(status.getRefreshAt())))
                : Optional.empty();
        boolean journalOpen = storeSecret != null && attempts == 0 && tokens.refreshToken().isPresent()
                && TokenStore.journal(storeSecret).map(j -> j.isFor(tokens.refreshToken().get())).orElse(false);
        RefreshPolicy.Decision d = RefreshPolicy.decide(c.getMetadata().getUid(), tokens.issuedAt(),
                tokens.expiresAt(), refreshBefore(c), attempts, lastFailure, retryAfter, now);
        return journalOpen ? new RefreshPolicy.Decision(true, d.refreshAt(), Optional.empty()) : d;
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
