package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.slacktokens.operator.api.v1alpha1.GoDuration;
import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.api.v1alpha1.SpecProblems;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.oauth.AuthorizeLinks;
import dev.slacktokens.operator.oauth.SlackApps;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

/**
 * Keeps a connection's status and workload Secret in line with its token store, and refreshes rotating tokens
 * before they expire (write order: token store → workload Secret → status → Event). Watches connections and only
 * the Secrets it owns (label-selected): the token store in the operator namespace and the workload Secrets.
 */
@ControllerConfiguration(name = SlackUserConnectionReconciler.NAME)
public class SlackUserConnectionReconciler implements Reconciler<SlackUserConnection> {

    public static final String NAME = "slackuserconnection";
    /** A referenced Secret is not watched: look again this often while it is missing. */
    static final Duration RECHECK_MISSING_SECRET = Duration.ofMinutes(1);

    private final TokenStore store;
    private final TokenRefresher refresher;
    private final AuthorizeLinks links;
    private final SlackApps apps;
    private final EventRecorder events;
    private final OperatorConfig config;
    private final Clock clock;

    SlackUserConnectionReconciler(TokenStore store, TokenRefresher refresher, AuthorizeLinks links, SlackApps apps,
            EventRecorder events, OperatorConfig config, Clock clock) {
        this.store = store;
        this.refresher = refresher;
        this.links = links;
        this.apps = apps;
        this.events = events;
        this.config = config;
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, SlackUserConnection>> prepareEventSources(EventSourceContext<SlackUserConnection> ctx) {
        return SecretSources.of(ctx, config.namespace());
    }

    @Override
    public UpdateControl<SlackUserConnection> reconcile(SlackUserConnection c, Context<SlackUserConnection> ctx) {
        String before = Serialization.asJson(c.getStatus());
        SlackUserConnectionStatus status = c.getStatus() != null ? c.getStatus() : new SlackUserConnectionStatus();
        c.setStatus(status);
        status.setObservedGeneration(c.getMetadata().getGeneration());
        Step step;
        List<String> problems = SpecProblems.of(c.getSpec());
        ClientCredentials app = null;
        String appProblem = null;
        if (problems.isEmpty()) {
            try {
                app = apps.credentials(c);
            } catch (SlackApps.UnusableAppException e) {
                appProblem = e.getMessage();
            }
        }
        Optional<Secret> storeSecret = ctx.getSecondaryResource(Secret.class, SecretSources.STORE)
                .filter(s -> c.getMetadata().getUid().equals(s.getMetadata().getLabels().get(Labels.CONNECTION_UID)));
        if (!problems.isEmpty() || appProblem != null) {
            status.setAuthorizeUrl(null);
            step = new Step(false, Reason.InvalidSpec, problems.isEmpty() ? appProblem : String.join("; ", problems),
                    appProblem != null ? RECHECK_MISSING_SECRET : null);
        } else if (storeSecret.flatMap(TokenStore::parse).isEmpty()) {
            step = withoutTokens(c, ctx, status, storeSecret);
        } else {
            step = withTokens(c, ctx, status, storeSecret.get(), TokenStore.parse(storeSecret.get()).get(), app);
        }
        String previousReason = ReadyCondition.set(status, step.ready, step.reason, step.message,
                c.getMetadata().getGeneration(), clock.instant());
        recordTransition(c, previousReason, step.refreshedNow);
        UpdateControl<SlackUserConnection> control = Objects.equals(before, Serialization.asJson(status))
                ? UpdateControl.noUpdate() : UpdateControl.patchStatus(c);
        return step.requeue == null ? control : control.rescheduleAfter(step.requeue);
    }

    /** The Ready condition to set and when to look again. */
    private record Step(boolean ready, Reason reason, String message, Duration requeue, boolean refreshedNow) {
        Step(boolean ready, Reason reason, String message, Duration requeue) {
            this(ready, reason, message, requeue, false);
        }
    }

    private Step withoutTokens(SlackUserConnection c, Context<SlackUserConnection> ctx,
            SlackUserConnectionStatus status, Optional<Secret> storeSecret) {
        status.setAuthorizeUrl(links.linkFor(c, status.getAuthorizeUrl()));
        Optional<String> dead = storeSecret.flatMap(TokenStore::dead);
        if (dead.isPresent()) {
            project(c, ctx, store.desiredWorkloadSecretWithoutTokens(c, ConnectionStatus.secretName(c),
                    storeSecret.get()));
            status.setExpiresAt(null);
            status.setRefreshAt(null);
            String text = dead.get();
            return new Step(false, Reason.ReauthorizationRequired, text.substring(text.indexOf(':') + 1).trim(),
                    links.recheckAfter());
        }
        ConnectionStatus.clearIdentity(status);
        return new Step(false, Reason.AwaitingAuthorization,
                "Waiting for a Slack user to authorize: open the link in status.authorizeUrl", links.recheckAfter());
    }

    private Step withTokens(SlackUserConnection c, Context<SlackUserConnection> ctx, SlackUserConnectionStatus status,
            Secret storeSecret, StoredTokens tokens, ClientCredentials app) {
        Instant now = clock.instant();
        RefreshPolicy.Decision decision = decide(c, status, tokens, storeSecret, now);
        Step failed = null;
        boolean refreshedNow = false;
        if (decision.refreshNow() && tokens.refreshToken().isPresent() && !refresher.halted()) {
            TokenRefresher.Outcome outcome = refresher.refresh(c, storeSecret, tokens, app);
            if (outcome instanceof TokenRefresher.Outcome.Refreshed r) {
                tokens = r.tokens();
                refreshedNow = true;
                status.setLastRefreshTime(clock.instant().toString());
                status.setFailedRefreshAttempts(null);
                status.setLastFailureTime(null);
                decision = decide(c, status, tokens, null, clock.instant());
            } else if (outcome instanceof TokenRefresher.Outcome.Dead) {
                return withoutTokens(c, ctx, status, store.fetch(c.getMetadata().getUid()));
            } else if (outcome instanceof TokenRefresher.Outcome.Superseded) {
                // Another writer changed the store: its informer event brings the new state; keep the condition.
                return ReadyCondition.get(status).map(x -> new Step(Boolean.parseBoolean(x.getStatus().toLowerCase()),
                        Reason.valueOf(x.getReason()), x.getMessage(), RefreshPolicy.MIN_WAIT, false))
                        .orElse(new Step(false, Reason.AwaitingAuthorization, "", RefreshPolicy.MIN_WAIT, false));
            } else {
                failed = failure(c, status, tokens, outcome, now);
                decision = decide(c, status, tokens, null, now);
            }
        }
        if (failed == null && !refreshedNow) {
            failed = pendingFailure(status, tokens, now);
        }
        project(c, ctx, store.desiredWorkloadSecret(c, ConnectionStatus.secretName(c), tokens));
        ConnectionStatus.showIdentity(status, c, tokens);
        status.setRefreshAt(decision.refreshAt().map(Instant::toString).orElse(null));
        Duration requeue = decision.waitFor().orElse(decision.refreshNow() ? RefreshPolicy.MIN_WAIT : null);
        if (requeue == null || requeue.compareTo(links.recheckAfter()) > 0) {
            requeue = links.recheckAfter();
        }
        if (failed != null) {
            return new Step(failed.ready, failed.reason, failed.message, requeue);
        }
        List<String> missing = ConnectionStatus.missingScopes(c, tokens);
        String where = " is in Secret " + ConnectionStatus.secretName(c);
        if (!missing.isEmpty()) {
            status.setAuthorizeUrl(links.linkFor(c, status.getAuthorizeUrl()));
            return new Step(false, Reason.MissingScopes, "Slack did not grant " + String.join(",", missing)
                    + "; the token of " + ConnectionStatus.who(tokens) + where
                    + " lacks them. Open status.authorizeUrl and grant them.", requeue);
        }
        status.setAuthorizeUrl(null);
        boolean refreshed = status.getLastRefreshTime() != null;
        return new Step(true, refreshed ? Reason.Refreshed : Reason.Authorized, (refreshed ? "Refreshed token of "
                : "Token of ") + ConnectionStatus.who(tokens) + where
                + tokens.expiresAt().map(t -> "; valid until " + t).orElse(""), requeue, refreshedNow);
    }

    /** A failed refresh: counted, timed, and Ready only while the current access token is still valid. */
    private Step failure(SlackUserConnection c, SlackUserConnectionStatus status, StoredTokens tokens,
            TokenRefresher.Outcome outcome, Instant now) {
        int attempts = Optional.ofNullable(status.getFailedRefreshAttempts()).orElse(0) + 1;
        status.setFailedRefreshAttempts(attempts);
        status.setLastFailureTime(now.toString());
        var cause = outcome instanceof TokenRefresher.Outcome.Retry r ? r.cause()
                : ((TokenRefresher.Outcome.InvalidClient) outcome).cause();
        Optional<Duration> retryAfter = cause instanceof dev.slacktokens.operator.slack.SlackRateLimitedException rl
                ? Optional.of(rl.retryAfter()) : Optional.empty();
        RefreshPolicy.Decision next = RefreshPolicy.decide(c.getMetadata().getUid(), tokens.issuedAt(),
                tokens.expiresAt(), refreshBefore(c), attempts, Optional.of(now), retryAfter, now);
        status.setRefreshAt(next.refreshAt().map(Instant::toString).orElse(null));
        boolean valid = tokens.expiresAt().map(now::isBefore).orElse(true);
        String validity = valid ? "the current token stays valid until " + tokens.expiresAt().map(Object::toString)
                .orElse("?") : "the access token EXPIRED at " + tokens.expiresAt().map(Object::toString).orElse("?");
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

    /** Writes the workload Secret if it differs, and removes ones left behind by a rename. */
    private void project(SlackUserConnection c, Context<SlackUserConnection> ctx, Secret desired) {
        String name = desired.getMetadata().getName();
        Set<Secret> owned = ctx.getSecondaryResources(Secret.class);
        Secret live = owned.stream().filter(s -> isWorkload(s) && name.equals(s.getMetadata().getName())).findFirst()
                .orElse(null);
        if (!TokenStore.satisfies(live, desired)) {
            store.applyWorkloadSecret(desired);
        }
        owned.stream().filter(s -> isWorkload(s) && !name.equals(s.getMetadata().getName()))
                .forEach(store::deleteWorkloadSecret);
    }

    private static boolean isWorkload(Secret s) {
        return s.getMetadata().getLabels() != null
                && Labels.ROLE_WORKLOAD.equals(s.getMetadata().getLabels().get(Labels.ROLE));
    }

    private void recordTransition(SlackUserConnection c, String previousReason, boolean always) {
        ReadyCondition.get(c.getStatus()).filter(now -> always || !now.getReason().equals(previousReason))
                .ifPresent(now -> {
                    Reason reason = Reason.valueOf(now.getReason());
                    if ("True".equals(now.getStatus()) || reason == Reason.AwaitingAuthorization) {
                        events.normal(c, reason, now.getMessage());
                    } else {
                        events.warning(c, reason, now.getMessage());
                    }
                });
    }
}
