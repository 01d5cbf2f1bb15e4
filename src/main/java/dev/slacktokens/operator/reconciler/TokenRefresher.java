package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.config.OperatorMetrics;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRateLimiter;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.grant.Grants;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;
import dev.slacktokens.operator.store.TokenStore;
import org.jboss.logging.Logger;

/**
 * One refresh of one pair (user or bot, the same protocol), in the order that never loses a refresh token and never
 * spends it twice:
 * <ol>
 * <li>at most one request in flight per refresh token in this process;</li>
 * <li>a permit of the client-side rate limit, taken before anything is written (over the limit is a wait, not a
 * failure: nothing is written and nothing is sent);</li>
 * <li>the journal written compare-and-set (a store read from a stale cache fails here, before Slack is called);</li>
 * <li>{@code oauth.v2.access}; a failure is recorded in the journal with the time of the next try (capped backoff or
 * Retry-After), so that every pass and every leader waits for it;</li>
 * <li>the new pair persisted first, compare-and-set; a write the API server refuses is retried in place, then the
 * pair is parked in memory and written first by the next pass (it is never dropped while this process lives);</li>
 * <li>a pair got by resuming an interrupted refresh is checked with {@code auth.test} before it is used.</li>
 * </ol>
 */
@ApplicationScoped
public class TokenRefresher {

    private static final Logger LOG = Logger.getLogger(TokenRefresher.class);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(200);
    private static final Duration MAX_PAUSE = Duration.ofSeconds(5);

    @Inject
    TokenStore store;
    @Inject
    SlackClient slack;
    @Inject
    Grants grants;
    @Inject
    OperatorMetrics metrics;
    @Inject
    OperatorConfig config;
    @Inject
    Clock clock;
    /** Digests of the refresh tokens with a request in flight. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Pairs Slack returned that the store did not take yet, by connection uid and pair. */
    private final Map<String, Parked> parked = new ConcurrentHashMap<>();

    /** The refresh of a pair could not be written to the token store; the pair is parked and written next pass. */
    public static final class StoreWriteFailedException extends RuntimeException {
        StoreWriteFailedException(String message) {
            super(message, null, false, false);
        }
    }

    private record Parked(String usedDigest, RefreshedToken fresh, Instant at, Optional<String> handled) {
    }

    /**
     * Refreshes {@code pair} of the tokens in {@code state} (a pass of the controller).
     *
     * @param manualRequest the refresh annotation value this answers, recorded with the new pair
     */
    public RefreshOutcome refresh(SlackUserConnection connection, StoreState state, TokenPair pair,
            ClientCredentials app, Optional<String> manualRequest) {
        return run(connection, state, pair, app, manualRequest);
    }

    /** Resumes an interrupted refresh (an open journal) on taking the Lease, before the controller runs. */
    public RefreshOutcome resume(SlackUserConnection connection, StoreState state, TokenPair pair,
            ClientCredentials app) {
        return run(connection, state, pair, app, Optional.empty());
    }

    /** Test seam: Slack answered a refresh and the new pair is not persisted yet. */
    protected void afterSlackAnswered() {
    }

    /** Test seam: about to write a refreshed pair to the token store. */
    protected void beforePersist() {
    }

    private RefreshOutcome run(SlackUserConnection connection, StoreState state, TokenPair pair,
            ClientCredentials app, Optional<String> manualRequest) {
        SlackToken refreshToken = state.tokens().flatMap(pair::refreshToken).orElseThrow();
        String digest = RefreshJournal.digest(refreshToken);
        if (!inFlight.add(digest)) {
            return new RefreshOutcome.Superseded();
        }
        try {
            RefreshOutcome outcome = attempt(connection, state, pair, refreshToken, app, manualRequest);
            metrics.refresh(outcome.metricLabel());
            return outcome;
        } finally {
            inFlight.remove(digest);
        }
    }

    private RefreshOutcome attempt(SlackUserConnection c, StoreState state, TokenPair pair, SlackToken refreshToken,
            ClientCredentials app, Optional<String> manualRequest) {
        String who = who(c, pair);
        Parked waiting = parked.get(parkKey(c, pair));
        if (waiting != null) {
            if (waiting.usedDigest().equals(RefreshJournal.digest(refreshToken))) {
                LOG.infof("Writing the parked refresh of %s to the token store", who);
                return persist(c, state, pair, waiting.fresh(), waiting.at(), waiting.handled(), false);
            }
            parked.remove(parkKey(c, pair));
            grants.revokeQuietly(Grants.all(waiting.fresh()), "a parked pair another writer superseded");
        }
        SlackRateLimiter.Attempt attempt = slack.tryAcquireRefreshPermit();
        if (attempt instanceof SlackRateLimiter.Wait wait) {
            return new RefreshOutcome.Queued(wait.duration());
        }
        Optional<RefreshJournal> previous = state.currentJournal(pair);
        boolean resumed = previous.map(RefreshJournal::open).orElse(false);
        StoreState started;
        RefreshedToken fresh;
        // the permit is given back unused if the journal cannot be written, and with Slack's answer otherwise
        try (SlackRateLimiter.Permit permit = (SlackRateLimiter.Permit) attempt) {
            try {
                started = store.write(state.withJournal(pair, RefreshJournal.start(refreshToken, clock.instant(),
                        previous)));
            } catch (TokenStore.ConflictException e) {
                return new RefreshOutcome.Superseded();
            }
            if (resumed) {
                LOG.infof("Resuming the refresh of %s started at %s, with the same refresh token", who,
                        previous.get().startedAt());
            }
            try {
                fresh = slack.refresh(app, refreshToken, permit);
            } catch (SlackApiException e) {
                if (RefreshOutcome.verdict(e) == RefreshOutcome.Verdict.DEAD) {
                    return rejected(c, pair, refreshToken, e.error(), resumed ? "An interrupted refresh could not be "
                            + "completed within Slack's grace period (" + e.error() + ")" : null);
                }
                return failed(started, pair, e, who);
            }
        }
        afterSlackAnswered();
        return persist(c, started, pair, fresh, clock.instant(), manualRequest, resumed);
    }

    /** Records a failed attempt and when the next one may run (capped backoff, or Slack's Retry-After if longer). */
    private RefreshOutcome failed(StoreState started, TokenPair pair, SlackApiException e, String who) {
        RefreshJournal failed = RefreshOutcome.failedAttempt(started.journal(pair).orElseThrow(), e, clock.instant());
        StoreState recorded;
        try {
            recorded = store.write(started.withJournal(pair, failed));
        } catch (TokenStore.ConflictException conflict) {
            return new RefreshOutcome.Superseded();
        }
        LOG.warnf("Refresh of %s failed (%s), attempt %d; next try at %s", who, e.error(), failed.failures(),
                failed.retryAt().orElseThrow());
        return new RefreshOutcome.Failed(e, recorded);
    }

    /**
     * Writes the new pair, compare-and-set. A conflict is looked into (our own earlier write that landed, another
     * change that left our refresh token in place, or another writer that replaced the tokens); any other failure
     * (API server error, timeout, webhook) is retried for {@code slack-operator.store-write-retry}, then the pair is
     * parked for the next pass and the pass fails.
     */
    private RefreshOutcome persist(SlackUserConnection c, StoreState state, TokenPair pair, RefreshedToken fresh,
            Instant received, Optional<String> manualRequest, boolean resumed) {
        String who = who(c, pair);
        Instant deadline = clock.instant().plus(config.storeWriteRetry());
        Duration pause = FIRST_PAUSE;
        StoreState base = state;
        SlackToken usedToken = state.tokens().flatMap(pair::refreshToken).orElseThrow();
        while (true) {
            try {
                beforePersist();
                StoredTokens next = Grants.fromRefresh(base.tokens().orElseThrow(), pair, fresh, received);
                StoreState written = store.write(base.refreshed(pair, next, manualRequest));
                parked.remove(parkKey(c, pair));
                LOG.infof("Refreshed %s: new %s token valid until %s", who, fresh.token().accessToken(),
                        pair.expiresAt(next).map(Object::toString).orElse("?"));
                return resumed ? verified(c, pair, written, who) : new RefreshOutcome.Refreshed(written);
            } catch (TokenStore.ConflictException e) {
                Optional<StoreState> current = store.fetch(c.getMetadata().getUid());
                Optional<SlackToken> held = current.flatMap(StoreState::tokens).flatMap(pair::refreshToken);
                if (held.isPresent() && held.get().equals(fresh.refreshToken())) {
                    parked.remove(parkKey(c, pair));
                    return new RefreshOutcome.Refreshed(current.get());
                }
                if (held.isPresent() && held.get().equals(usedToken)) {
                    base = current.get();
                    continue;
                }
                parked.remove(parkKey(c, pair));
                LOG.warnf("Refresh of %s lost a race with another writer that replaced the tokens; the pair it got "
                        + "is revoked", who);
                grants.revokeQuietly(Grants.all(fresh), "a refreshed pair another writer superseded");
                return new RefreshOutcome.Superseded();
            } catch (RuntimeException e) {
                boolean giveUp = !clock.instant().plus(pause).isBefore(deadline);
                if (!giveUp) {
                    LOG.warnf("Could not write the refreshed pair of %s to the token store (%s); retrying in %d ms",
                            who, ReconcileErrors.describe(e), pause.toMillis());
                }
                if (giveUp || !pauseFor(pause)) {
                    parked.put(parkKey(c, pair), new Parked(RefreshJournal.digest(usedToken), fresh, received,
                            manualRequest));
                    throw new StoreWriteFailedException("Slack rotated the " + pair.name().toLowerCase()
                            + " token of " + c.getMetadata().getNamespace() + "/" + c.getMetadata().getName()
                            + " but the token store could not be written (" + ReconcileErrors.describe(e) + "); the new "
                            + "pair is kept in memory and written first by the next attempt");
                }
                pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
            }
        }
    }

    /**
     * A pair got by resuming an interrupted refresh: Slack's answer to a reused refresh token is not documented (a
     * second pair, the same pair, or a pair that kills the first), so it is checked before it is used.
     */
    private RefreshOutcome verified(SlackUserConnection c, TokenPair pair, StoreState written, String who) {
        StoredTokens next = written.tokens().orElseThrow();
        try {
            slack.authTest(pair.accessToken(next).orElseThrow());
            return new RefreshOutcome.Refreshed(written);
        } catch (SlackPermanentException e) {
            if (!e.isTokenDead() && !e.isInvalidGrant()) {
                return new RefreshOutcome.Refreshed(written);
            }
            return rejected(c, pair, pair.refreshToken(next).orElseThrow(), e.error(), "An interrupted refresh was "
                    + "resumed, but Slack does not accept the pair it returned (" + e.error() + ")");
        } catch (SlackApiException e) {
            LOG.infof("Could not confirm the resumed refresh of %s with auth.test (%s); using it", who, e.error());
            return new RefreshOutcome.Refreshed(written);
        }
    }

    /**
     * Slack refused the pair. Another writer may have rotated it meanwhile: only if the store still holds the refresh
     * token we used are the tokens dead (the user pair: all tokens; the bot pair: only the bot's).
     */
    private RefreshOutcome rejected(SlackUserConnection c, TokenPair pair, SlackToken used, String error, String why) {
        Optional<StoreState> current = store.fetch(c.getMetadata().getUid());
        if (current.flatMap(StoreState::tokens).flatMap(pair::refreshToken).filter(used::equals).isEmpty()) {
            return new RefreshOutcome.Superseded();
        }
        String cause = why != null ? why : "Slack no longer accepts the " + (pair == TokenPair.BOT ? "bot " : "")
                + "refresh token (" + error + ")";
        String message = pair == TokenPair.BOT
                ? cause + "; the bot token was removed. Authorize again (status.authorizeUrl) to get one"
                : cause + "; a Slack user must authorize again: open status.authorizeUrl";
        StoreState dead;
        try {
            dead = store.write(pair == TokenPair.BOT ? current.get().withoutBot(message)
                    : current.get().dead(Reason.ReauthorizationRequired, message));
        } catch (TokenStore.ConflictException conflict) {
            return new RefreshOutcome.Superseded();
        }
        LOG.warnf("Tokens of %s dropped: %s", who(c, pair), message);
        return new RefreshOutcome.Dead(dead);
    }

    private static String parkKey(SlackUserConnection c, TokenPair pair) {
        return c.getMetadata().getUid() + "/" + pair;
    }

    private static String who(SlackUserConnection c, TokenPair pair) {
        return c.getMetadata().getNamespace() + "/" + c.getMetadata().getName()
                + (pair == TokenPair.BOT ? " (bot token)" : "");
    }

    /** Waits before the next write; false when interrupted (the process is stopping). */
    private static boolean pauseFor(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
