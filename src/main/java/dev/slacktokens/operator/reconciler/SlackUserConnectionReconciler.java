package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.api.v1alpha1.SpecProblems;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.oauth.AuthorizeLinks;
import dev.slacktokens.operator.oauth.SlackApps;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

/**
 * Keeps a connection's status and workload Secret in line with its token store, refreshes rotating tokens before
 * they expire (see {@link TokenLifecycle}), acts on the manual annotations, imports legacy tokens, and cleans up
 * on delete (finalizer, {@link ConnectionDeletion}). Watches connections and only the Secrets it owns.
 * Annotations are not spec changes, so every event is processed (not only generation changes).
 */
@ControllerConfiguration(name = SlackUserConnectionReconciler.NAME, generationAwareEventProcessing = false)
public class SlackUserConnectionReconciler implements Reconciler<SlackUserConnection>, Cleaner<SlackUserConnection> {

    public static final String NAME = "slackuserconnection";
    /** A referenced Secret is not watched: look again this often while it is missing. */
    static final Duration RECHECK_MISSING_SECRET = Duration.ofMinutes(1);
    /** After JOSDK's retries of a failing pass are spent, the next try comes this much later. */
    static final Duration RETRY_AFTER_EXHAUSTED = Duration.ofMinutes(1);

    private final TokenStore store;
    private final TokenLifecycle lifecycle;
    private final TokenRefresher refresher;
    private final LegacyImport legacyImport;
    private final ConnectionDeletion deletion;
    private final AuthorizeLinks links;
    private final SlackApps apps;
    private final EventRecorder events;
    private final OperatorConfig config;
    private final OperatorMetrics metrics;
    private final Clock clock;

    SlackUserConnectionReconciler(TokenStore store, TokenLifecycle lifecycle, TokenRefresher refresher,
            LegacyImport legacyImport, ConnectionDeletion deletion, AuthorizeLinks links, SlackApps apps,
            EventRecorder events, OperatorConfig config, OperatorMetrics metrics, Clock clock) {
        this.store = store;
        this.lifecycle = lifecycle;
        this.refresher = refresher;
        this.legacyImport = legacyImport;
        this.deletion = deletion;
        this.links = links;
        this.apps = apps;
        this.events = events;
        this.config = config;
        this.metrics = metrics;
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
        try {
            step = step(c, ctx, status);
        } catch (ForeignSecretException e) {
            step = new Step(false, Reason.InvalidSpec, e.getMessage(), RECHECK_MISSING_SECRET);
        }
        String previousReason = ReadyCondition.set(status, step.ready(), step.reason(), step.message(),
                c.getMetadata().getGeneration(), clock.instant());
        recordTransition(c, previousReason, step.refreshedNow());
        metrics.connection(c.getMetadata().getNamespace(), c.getMetadata().getName(), step.reason(),
                status.getExpiresAt() == null ? null : (double) Instant.parse(status.getExpiresAt())
                        .getEpochSecond());
        UpdateControl<SlackUserConnection> control = Objects.equals(before, Serialization.asJson(status))
                ? UpdateControl.noUpdate() : UpdateControl.patchStatus(c);
        // The failsafe: whatever the step says, look again within the resync interval.
        Duration resync = config.resyncInterval();
        return control.rescheduleAfter(step.requeue() == null || step.requeue().compareTo(resync) > 0 ? resync
                : step.requeue());
    }

    /**
     * A pass that threw (an API server error, a token store that refused a refreshed pair) is shown, not swallowed:
     * Ready keeps its status while the token is still valid, with reason ReconcileError and what failed. JOSDK
     * retries with backoff; once its retries are spent, the connection is looked at again after the retry interval
     * instead of being left alone until the next event.
     */
    @Override
    public ErrorStatusUpdateControl<SlackUserConnection> updateErrorStatus(SlackUserConnection c,
            Context<SlackUserConnection> ctx, Exception e) {
        SlackUserConnectionStatus status = c.getStatus() != null ? c.getStatus() : new SlackUserConnectionStatus();
        c.setStatus(status);
        Instant now = clock.instant();
        boolean valid = ReadyCondition.get(status).map(x -> "True".equals(x.getStatus())).orElse(false)
                && status.getExpiresAt() != null && Instant.parse(status.getExpiresAt()).isAfter(now);
        boolean last = ctx.getRetryInfo().map(r -> r.isLastAttempt()).orElse(false);
        String message = "Reconciliation failed (" + ReconcileErrors.describe(e) + "); "
                + (last ? "retries spent, next try in " + RETRY_AFTER_EXHAUSTED.toSeconds() + " s" : "retrying");
        String previousReason = ReadyCondition.set(status, valid, Reason.ReconcileError, message,
                c.getMetadata().getGeneration(), now);
        recordTransition(c, previousReason, false);
        ErrorStatusUpdateControl<SlackUserConnection> control = ErrorStatusUpdateControl.patchStatus(c);
        return last ? control.withNoRetry().rescheduleAfter(RETRY_AFTER_EXHAUSTED) : control;
    }

    @Override
    public DeleteControl cleanup(SlackUserConnection c, Context<SlackUserConnection> ctx) {
        // The store as it is now (a cached copy may predate the last refresh, whose tokens must be revoked too).
        DeleteControl control = deletion.cleanup(c, store.fetch(c.getMetadata().getUid()));
        if (control.isRemoveFinalizer()) {
            metrics.forget(c.getMetadata().getNamespace(), c.getMetadata().getName());
        }
        return control;
    }

    private Step step(SlackUserConnection c, Context<SlackUserConnection> ctx, SlackUserConnectionStatus status) {
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
        if (c.getMetadata().getNamespace().equals(config.namespace())) {
            problems = List.of("SlackUserConnections are not allowed in the operator's own namespace ("
                    + config.namespace() + "), where the token stores live; create it in a team namespace");
        }
        if (!problems.isEmpty() || appProblem != null) {
            status.setAuthorizeUrl(null);
            return new Step(false, Reason.InvalidSpec, problems.isEmpty() ? appProblem : String.join("; ", problems),
                    appProblem != null ? RECHECK_MISSING_SECRET : null);
        }
        Optional<Secret> storeSecret = storeSecret(c, ctx);
        String reauthorize = TokenLifecycle.annotation(c, Labels.REAUTHORIZE_REQUEST);
        if (storeSecret.isPresent() && reauthorize != null && !reauthorize.equals(
                TokenStore.annotation(storeSecret.get(), Labels.REAUTHORIZE_HANDLED).orElse(null))) {
            refresher.discard(storeSecret.get(), Map.of(Labels.REAUTHORIZE_HANDLED, reauthorize));
            return withoutTokens(c, ctx, status, store.fetch(c.getMetadata().getUid()));
        }
        if (storeSecret.isEmpty() && c.getSpec().getImportFrom() != null) {
            // Slack exchanges a token once: decide "not imported yet" from the API server, not from a cache that may
            // not have seen the store the last pass wrote.
            storeSecret = store.fetch(c.getMetadata().getUid());
        }
        if (storeSecret.isEmpty() && c.getSpec().getImportFrom() != null) {
            Optional<LegacyImport.Refusal> refusal = legacyImport.run(c, app);
            if (refusal.isPresent()) {
                status.setAuthorizeUrl(links.linkFor(c, status.getAuthorizeUrl(), 0));
                return new Step(false, refusal.get().reason(), refusal.get().message(),
                        refusal.get().recheck() ? RECHECK_MISSING_SECRET : null);
            }
            storeSecret = store.fetch(c.getMetadata().getUid());
        }
        if (storeSecret.flatMap(TokenStore::parse).isEmpty()) {
            return withoutTokens(c, ctx, status, storeSecret);
        }
        return lifecycle.withTokens(c, status, storeSecret.get(), TokenStore.parse(storeSecret.get()).get(), app,
                desired -> project(c, ctx, desired))
                .orElseGet(() -> withoutTokens(c, ctx, status, store.fetch(c.getMetadata().getUid())));
    }

    private Optional<Secret> storeSecret(SlackUserConnection c, Context<SlackUserConnection> ctx) {
        return ctx.getSecondaryResource(Secret.class, SecretSources.STORE)
                .filter(s -> c.getMetadata().getUid().equals(s.getMetadata().getLabels().get(Labels.CONNECTION_UID)));
    }

    private Step withoutTokens(SlackUserConnection c, Context<SlackUserConnection> ctx,
            SlackUserConnectionStatus status, Optional<Secret> storeSecret) {
        status.setAuthorizeUrl(links.linkFor(c, status.getAuthorizeUrl(),
                TokenStore.authorizations(storeSecret.orElse(null))));
        Optional<String> dead = storeSecret.flatMap(TokenStore::dead);
        if (dead.isPresent()) {
            project(c, ctx, store.desiredWorkloadSecretWithoutTokens(c, ConnectionStatus.secretName(c),
                    storeSecret.get()));
            status.setExpiresAt(null);
            status.setRefreshAt(null);
            String text = dead.get();
            Reason reason = text.startsWith(Reason.Revoked.name()) ? Reason.Revoked : Reason.ReauthorizationRequired;
            return new Step(false, reason, text.substring(text.indexOf(':') + 1).trim(), links.recheckAfter());
        }
        ConnectionStatus.clearIdentity(status);
        return new Step(false, Reason.AwaitingAuthorization,
                "Waiting for a Slack user to authorize: open the link in status.authorizeUrl", links.recheckAfter());
    }

    /** Writes the workload Secret if it differs, and removes ones left behind by a rename. */
    private void project(SlackUserConnection c, Context<SlackUserConnection> ctx, Secret desired) {
        String name = desired.getMetadata().getName();
        Set<Secret> owned = ctx.getSecondaryResources(Secret.class);
        Secret live = owned.stream().filter(s -> isWorkload(s) && name.equals(s.getMetadata().getName())).findFirst()
                .orElse(null);
        if (live == null) {
            // Not in the cache of our labelled Secrets: never take over a Secret someone else made.
            Secret existing = store.getSecret(desired.getMetadata().getNamespace(), name);
            if (existing != null && (existing.getMetadata().getOwnerReferences() == null || existing.getMetadata()
                    .getOwnerReferences().stream().noneMatch(o -> c.getMetadata().getUid().equals(o.getUid())))) {
                throw new ForeignSecretException("Secret " + desired.getMetadata().getNamespace() + "/" + name
                        + " already exists and is not managed by this SlackUserConnection; choose another "
                        + "spec.secretName or delete that Secret");
            }
        }
        if (!TokenStore.satisfies(live, desired)) {
            store.applyWorkloadSecret(desired);
        }
        owned.stream().filter(s -> isWorkload(s) && !name.equals(s.getMetadata().getName()))
                .forEach(store::deleteWorkloadSecret);
    }

    /** The workload Secret's name is taken by a Secret this connection does not own. */
    static final class ForeignSecretException extends RuntimeException {
        ForeignSecretException(String message) {
            super(message, null, false, false);
        }
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
