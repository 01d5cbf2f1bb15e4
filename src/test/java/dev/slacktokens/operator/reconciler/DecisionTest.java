package dev.slacktokens.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.slacktokens.operator.api.v1alpha1.Condition;
import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SecretKeyRef;
import dev.slacktokens.operator.api.v1alpha1.ImportFrom;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.slack.ClientCredentials;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRateLimitedException;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.slack.SlackTransientException;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/**
 * Every plan and branch of {@link Decision#decide}, with a fixed clock, one named row each; then what each Slack error
 * of a refresh leads to, through {@link RefreshProtocol#minted}, the store, the decision and {@link StatusBuilder}.
 * A 12 h token issued at {@link #ISSUED}, a 2 h margin; the pass looks at {@link #NOW} (3 h in) unless a row says
 * otherwise.
 */
class DecisionTest {

    static final Instant ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    static final Instant EXPIRES = ISSUED.plus(Duration.ofHours(12));
    static final Instant NOW = ISSUED.plus(Duration.ofHours(3));
    static final String UID = "0b0b0b0b-uid";
    static final Duration MARGIN = Duration.ofHours(2);
    static final Duration LINK_RECHECK = Duration.ofMinutes(30);
    static final Instant USER_AT = RefreshPolicy.refreshAt(UID, ISSUED, EXPIRES, MARGIN);
    /** The bot pair was issued an hour before the user's (it rotates on its own schedule). */
    static final Instant BOT_ISSUED = ISSUED.minus(Duration.ofHours(1));
    static final Instant BOT_AT = RefreshPolicy.refreshAt(UID + "/bot", BOT_ISSUED, EXPIRES.minus(Duration.ofHours(1)),
            MARGIN);
    static final SlackToken REFRESH = SlackToken.of("xoxe-1-current");
    static final SlackToken BOT_REFRESH = SlackToken.of("xoxe-1-bot");
    static final SlackToken OLD_REFRESH = SlackToken.of("xoxe-1-previous");
    static final Instant FAILED_AT = NOW.minusSeconds(10);
    static final Instant RETRY_AT = FAILED_AT.plusSeconds(60);
    static final Decision.App APP = new Decision.App(Optional.of(ClientCredentials.publicClient("123.456")),
            Optional.empty());

    /** One row: the connection's spec and annotations, its store, the pass so far, now. */
    record Given(Map<String, String> annotations, UnaryOperator<SlackUserConnectionSpec> spec, List<String> problems,
            Decision.App app, Optional<StoreState> store, Decision.Pass pass, Instant now,
            Optional<Condition> lastReady) {

        Given annotated(String key, String value) {
            Map<String, String> a = new HashMap<>(annotations);
            a.put(key, value);
            return new Given(a, spec, problems, app, store, pass, now, lastReady);
        }

        Given spec(UnaryOperator<SlackUserConnectionSpec> change) {
            return new Given(annotations, s -> change.apply(spec.apply(s)), problems, app, store, pass, now,
                    lastReady);
        }

        Given problems(String... p) {
            return new Given(annotations, spec, List.of(p), app, store, pass, now, lastReady);
        }

        Given app(Decision.App a) {
            return new Given(annotations, spec, problems, a, store, pass, now, lastReady);
        }

        Given store(Optional<StoreState> s) {
            return new Given(annotations, spec, problems, app, s, pass, now, lastReady);
        }

        Given store(UnaryOperator<StoreState> change) {
            return store(store.map(change));
        }

        Given pass(Decision.Pass p) {
            return new Given(annotations, spec, problems, app, store, p, now, lastReady);
        }

        /** The Ready condition the last pass wrote, at the connection's generation {@code generation}. */
        Given lastReady(String reason, String message, long generation) {
            Condition ready = new Condition();
            ready.setType("Ready");
            ready.setStatus("False");
            ready.setReason(reason);
            ready.setMessage(message);
            ready.setObservedGeneration(generation);
            return new Given(annotations, spec, problems, app, store, pass, now, Optional.of(ready));
        }

        Given at(Instant t) {
            return new Given(annotations, spec, problems, app, store, pass, t, lastReady);
        }

        SlackUserConnection connection() {
            SlackUserConnectionSpec s = new SlackUserConnectionSpec();
            s.setUserScopes(List.of("chat:write"));
            SlackUserConnection c = new SlackUserConnection();
            c.setMetadata(new ObjectMetaBuilder().withName("conn").withNamespace("team-a").withUid(UID)
                    .withGeneration(1L).withAnnotations(annotations).build());
            c.setSpec(spec.apply(s));
            lastReady.ifPresent(ready -> {
                SlackUserConnectionStatus status = new SlackUserConnectionStatus();
                status.setObservedGeneration(ready.getObservedGeneration());
                status.setConditions(List.of(ready));
                c.setStatus(status);
            });
            return c;
        }

        Decision.Observed observed() {
            return new Decision.Observed(connection(), problems, app, store, MARGIN, LINK_RECHECK);
        }

        Plan decide() {
            return Decision.decide(observed(), pass, now);
        }
    }

    static StoredTokens tokens(Optional<SlackToken> refresh, List<String> scopes, boolean bot) {
        return new StoredTokens(UID, SlackToken.of("xoxe.xoxp-1-access"), refresh,
                refresh.isPresent() ? Optional.of(EXPIRES) : Optional.empty(), scopes, "U1", Optional.empty(),
                Optional.of("T1"), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                bot ? Optional.of(new StoredTokens.BotTokens(SlackToken.of("xoxe.xoxb-1-bot"), Optional.of(BOT_REFRESH),
                        Optional.of(EXPIRES.minus(Duration.ofHours(1))), "B1", List.of("channels:read"), BOT_ISSUED))
                        : Optional.empty(),
                ISSUED, "7");
    }

    static StoreState stored(StoredTokens tokens) {
        return StoreState.empty(new StoreState.Owner("team-a", "conn", UID)).authorized(tokens, Map.of(),
                Optional.empty(), Optional.empty()).atResourceVersion("7");
    }

    /** A connection Ready with a rotating user token. */
    static Given ready() {
        return new Given(Map.of(), s -> s, List.of(), APP,
                Optional.of(stored(tokens(Optional.of(REFRESH), List.of("chat:write"), false))),
                Decision.Pass.start(), NOW, Optional.empty());
    }

    /** spec.importFrom and no store yet. */
    static Given importing() {
        return ready().store(Optional.empty()).spec(s -> {
            ImportFrom from = new ImportFrom();
            from.setSecretRef(new SecretKeyRef());
            s.setImportFrom(from);
            return s;
        });
    }

    static Given withBot() {
        return ready().store(Optional.of(stored(tokens(Optional.of(REFRESH), List.of("chat:write"), true))));
    }

    static RefreshJournal open(SlackToken token) {
        return RefreshJournal.start(token, NOW.minusSeconds(5), Optional.empty());
    }

    static RefreshJournal failed(SlackToken token) {
        return RefreshJournal.start(token, FAILED_AT, Optional.empty()).failed(FAILED_AT, RETRY_AT, "internal_error",
                false);
    }

    static UnaryOperator<StoreState> journal(TokenPair pair, RefreshJournal j) {
        return s -> s.withJournal(pair, j);
    }

    static Stream<Arguments> plans() {
        Instant due = USER_AT;
        return Stream.of(
                row("an invalid spec: Invalid, looked at again only on a change", ready().problems("spec.userScopes: "
                        + "required"), "Invalid(spec.userScopes: required) next=never"),
                row("an unusable Slack app: Invalid, looked at again in 1 min", ready().app(new Decision.App(
                        Optional.empty(), Optional.of("Secret slack-app is missing"))), "Invalid(Secret slack-app is missing) next="
                                + NOW.plus(Decision.RECHECK)),
                row("a re-authorization request not acted on: Discard", ready().annotated(Labels.REAUTHORIZE_REQUEST,
                        "r1"), "Discard(r1)"),
                row("a re-authorization request already acted on: no Discard", ready().annotated(
                        Labels.REAUTHORIZE_REQUEST, "r1").store(s -> s.reauthorizeHandled("r1")), "Project next="
                                + due),
                row("importFrom and no store: Import", importing(), "Import"),
                row("importFrom, no store, this generation's import refused for identity: the refusal stands",
                        importing().lastReady("IdentityMismatch", "belongs to U2", 1),
                        "Refused(IdentityMismatch: belongs to U2) next=never"),
                row("importFrom, no store, an identity refusal of an earlier generation: Import again",
                        importing().lastReady("IdentityMismatch", "belongs to U2", 0), "Import"),
                row("importFrom, no store, another refusal (the Secret was missing): Import again",
                        importing().lastReady("InvalidSpec", "Secret legacy is missing", 1), "Import"),
                row("importFrom with a store: no Import, the store is used", ready().spec(s -> {
                    s.setImportFrom(new ImportFrom());
                    return s;
                }), "Project next=" + due),
                row("no store: AwaitConsent, the link looked at again", ready().store(Optional.empty()),
                        "AwaitConsent(none) next=" + NOW.plus(LINK_RECHECK)),
                row("dead tokens: AwaitConsent with why", ready().store(s -> s.dead(Reason.Revoked, "uninstalled")),
                        "AwaitConsent(Revoked: uninstalled) next=" + NOW.plus(LINK_RECHECK)),
                row("before refreshAt: Project, next look at refreshAt", ready(), "Project next=" + due),
                row("at refreshAt: Refresh USER, on schedule", ready().at(due), "Refresh(USER, for " + due + ")"),
                row("expired: Refresh USER, late", ready().at(EXPIRES.plusSeconds(60)),
                        "Refresh(USER, for " + due + ")"),
                row("a manual request: Refresh USER answering it", ready().annotated(Labels.REFRESH_REQUEST, "m1"),
                        "Refresh(USER, m1)"),
                row("a manual request already answered: Project", ready().annotated(Labels.REFRESH_REQUEST, "m1")
                        .store(s -> s.refreshHandled("m1")), "Project next=" + due),
                row("an open journal (a crash): resume now", ready().store(journal(TokenPair.USER, open(REFRESH))),
                        "Refresh(USER)"),
                row("an open journal about an older refresh token is ignored", ready().store(journal(TokenPair.USER,
                        open(OLD_REFRESH))), "Project next=" + due),
                row("recorded failures: wait for the journal's retryAt", ready().store(journal(TokenPair.USER,
                        failed(REFRESH))), "Project next=" + RETRY_AT + " failures=1"),
                row("recorded failures, retryAt passed: Refresh USER", ready().store(journal(TokenPair.USER,
                        failed(REFRESH))).at(RETRY_AT), "Refresh(USER)"),
                row("a manual request after a failure still waits for the backoff", ready().annotated(
                        Labels.REFRESH_REQUEST, "m1").store(journal(TokenPair.USER, failed(REFRESH))),
                        "Project next=" + RETRY_AT + " failures=1"),
                row("failures of an older refresh token are ignored", ready().store(journal(TokenPair.USER,
                        failed(OLD_REFRESH))), "Project next=" + due),
                row("a token that does not rotate: Project, never refreshed", ready().store(Optional.of(stored(tokens(
                        Optional.empty(), List.of("chat:write"), false)))), "Project next=never"),
                row("a manual request for a token that does not rotate: MarkHandled", ready().annotated(
                        Labels.REFRESH_REQUEST, "m1").store(Optional.of(stored(tokens(Optional.empty(),
                                List.of("chat:write"), false)))), "MarkHandled(m1)"),
                row("tried in this pass (another writer won): not again, look again in 1 s", ready().at(due)
                        .pass(Decision.Pass.start().tried(TokenPair.USER, false, false)),
                        "Project next=" + due.plusSeconds(1)),
                row("over the operator's own rate limit: Project, queued until a permit", ready().at(due)
                        .pass(Decision.Pass.start().queued(TokenPair.USER, due.plusSeconds(9))),
                        "Project next=" + due.plusSeconds(9) + " queued=" + due.plusSeconds(9)),
                row("the bot pair due: Refresh BOT", withBot().at(BOT_AT), "Refresh(BOT, for " + BOT_AT + ")"),
                row("both due: the user pair first", withBot().at(EXPIRES), "Refresh(USER, for " + due + ")"),
                row("Slack failed in this pass: the bot pair waits for the next one", withBot().at(EXPIRES).pass(
                        Decision.Pass.start().tried(TokenPair.USER, false, true)), "Project next="
                                + EXPIRES.plusSeconds(1)),
                row("the bot pair's failures: its own retryAt", withBot().store(journal(TokenPair.BOT,
                        failed(BOT_REFRESH))), "Project next=" + RETRY_AT + " bot-failures=1"),
                row("missing scopes: the link is looked at again", ready().spec(s -> {
                    s.setUserScopes(List.of("chat:write", "users:read"));
                    return s;
                }).at(ISSUED), "Project next=" + ISSUED.plus(LINK_RECHECK)),
                row("the spec's own refreshBefore wins over the default", ready().spec(s -> {
                    s.setRefreshBefore("3h");
                    return s;
                }).at(ISSUED.plus(Duration.ofHours(9))), "Refresh(USER, for "
                        + RefreshPolicy.refreshAt(UID, ISSUED, EXPIRES, Duration.ofHours(3)) + ")"));
    }

    static Arguments row(String name, Given given, String plan) {
        return Arguments.of(name, given, plan);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void decides(String name, Given given, String expected) {
        assertThat(describe(given.decide())).isEqualTo(expected);
    }

    /**
     * A pair kept in memory (the store did not say it took it) is settled before anything else, even a
     * re-authorization request; once tried in the pass, the rest of the decision goes on.
     */
    @org.junit.jupiter.api.Test
    void aParkedPairIsSettledBeforeAnythingElse() {
        Decision.Observed seen = ready().annotated(Labels.REAUTHORIZE_REQUEST, "r1").observed();
        Decision.Observed parked = new Decision.Observed(seen.connection(), seen.problems(), seen.app(), seen.store(),
                seen.refreshBefore(), seen.linkRecheck(), java.util.Set.of(TokenPair.USER));
        assertThat(describe(Decision.decide(parked, Decision.Pass.start(), NOW))).isEqualTo("Refresh(USER)");
        assertThat(describe(Decision.decide(parked, Decision.Pass.start().tried(TokenPair.USER, false, false), NOW)))
                .isEqualTo("Discard(r1)");
    }

    /**
     * What each Slack error answering a refresh leads to, through {@link RefreshProtocol#minted}, the journal, the
     * decision and {@link StatusBuilder}. A new Slack error is one row here (and, if it means the tokens are dead or
     * the outcome unknown, one entry in {@link RefreshProtocol}'s sets).
     */
    static Stream<Arguments> slackErrors() {
        return Stream.of(
                errorRow(permanent("invalid_refresh_token"), RefreshProtocol.Minted.DEAD, Reason.ReauthorizationRequired,
                        false),
                errorRow(permanent("token_revoked"), RefreshProtocol.Minted.DEAD, Reason.ReauthorizationRequired, false),
                errorRow(permanent("token_expired"), RefreshProtocol.Minted.DEAD, Reason.ReauthorizationRequired, false),
                errorRow(permanent("refresh_token_expired"), RefreshProtocol.Minted.DEAD,
                        Reason.ReauthorizationRequired, false),
                errorRow(permanent("invalid_client_id"), RefreshProtocol.Minted.NO, Reason.InvalidClient, false),
                errorRow(permanent("bad_client_secret"), RefreshProtocol.Minted.NO, Reason.InvalidClient, false),
                // defect 5: these three wiped the store; an IP allowlist or a misconfigured client answers them
                errorRow(permanent("invalid_auth"), RefreshProtocol.Minted.NO, Reason.RefreshRetrying, true),
                errorRow(permanent("not_authed"), RefreshProtocol.Minted.NO, Reason.RefreshRetrying, true),
                errorRow(permanent("invalid_token"), RefreshProtocol.Minted.NO, Reason.RefreshRetrying, true),
                errorRow(permanent("some_new_error"), RefreshProtocol.Minted.NO, Reason.RefreshRetrying, true),
                errorRow(permanent("http_403"), RefreshProtocol.Minted.NO, Reason.RefreshRetrying, true),
                errorRow(new SlackRateLimitedException("oauth.v2.access", Duration.ofSeconds(30)),
                        RefreshProtocol.Minted.NO, Reason.RefreshRetrying, true),
                errorRow(transientError("connection_refused"), RefreshProtocol.Minted.NO, Reason.RefreshRetrying, true),
                // defect 2: an answer that may follow a rotation Slack made is in doubt, not "nothing minted"
                errorRow(transientError("internal_error"), RefreshProtocol.Minted.UNKNOWN, Reason.RefreshRetrying, true),
                errorRow(transientError("service_unavailable"), RefreshProtocol.Minted.UNKNOWN, Reason.RefreshRetrying,
                        true),
                errorRow(transientError("http_503"), RefreshProtocol.Minted.UNKNOWN, Reason.RefreshRetrying, true),
                errorRow(transientError("http_408"), RefreshProtocol.Minted.UNKNOWN, Reason.RefreshRetrying, true),
                errorRow(transientError("timeout"), RefreshProtocol.Minted.UNKNOWN, Reason.RefreshRetrying, true),
                errorRow(transientError("connection_failed"), RefreshProtocol.Minted.UNKNOWN, Reason.RefreshRetrying,
                        true),
                errorRow(transientError("invalid_response"), RefreshProtocol.Minted.UNKNOWN, Reason.RefreshRetrying,
                        true));
    }

    static SlackApiException permanent(String error) {
        return new SlackPermanentException("oauth.v2.access", error, null);
    }

    static SlackApiException transientError(String error) {
        return new SlackTransientException("oauth.v2.access", error, null, null);
    }

    static Arguments errorRow(SlackApiException error, RefreshProtocol.Minted minted, Reason reason,
            boolean stillReady) {
        return Arguments.of(error.error() + " (" + error.getClass().getSimpleName() + "): " + minted + ", " + reason,
                error, minted, reason, stillReady);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("slackErrors")
    void aSlackErrorOfARefreshEndsInItsVerdictAndReason(String name, SlackApiException error,
            RefreshProtocol.Minted minted, Reason reason, boolean stillReady) {
        assertThat(RefreshProtocol.minted(error)).isEqualTo(minted);
        Given before = ready().at(USER_AT);
        RefreshJournal failed = RefreshProtocol.afterFailure(RefreshJournal.start(REFRESH, USER_AT, Optional.empty()),
                error, Optional.of(EXPIRES), USER_AT);
        assertThat(failed.inDoubtSince().isPresent()).as("in doubt").isEqualTo(minted == RefreshProtocol.Minted.UNKNOWN);
        StoreState after = minted == RefreshProtocol.Minted.DEAD
                ? before.store().get().dead(Reason.ReauthorizationRequired, "Slack no longer accepts the refresh token ("
                        + error.error() + ")")
                : before.store().get().withJournal(TokenPair.USER, failed);
        Decision.Pass pass = Decision.Pass.start().tried(TokenPair.USER, false, minted != RefreshProtocol.Minted.DEAD);
        Given then = before.store(Optional.of(after)).pass(pass);
        Plan plan = then.decide();
        assertThat(plan).isInstanceOf(Plan.Final.class);
        var status = StatusBuilder.build(then.connection(), (Plan.Final) plan, pass, Optional.of("https://link"), 600,
                USER_AT);
        var ready = ReadyCondition.get(status).orElseThrow();
        assertThat(ready.getReason()).isEqualTo(reason.name());
        assertThat(ready.getStatus()).isEqualTo(stillReady ? "True" : "False");
        assertThat(ready.getMessage()).contains(error.error());
        if (minted == RefreshProtocol.Minted.UNKNOWN) {
            assertThat(ready.getMessage()).contains("may have rotated the pair");
            assertThat(status.getRefreshAt()).as("tried again at once").isEqualTo(USER_AT.toString());
        }
        if (error instanceof SlackRateLimitedException) {
            assertThat(status.getRefreshAt()).as("Retry-After honoured").isEqualTo(USER_AT.plusSeconds(30).toString());
        }
    }

    /**
     * The next try after a failure: the capped backoff within the time the token has left, at once and then every
     * 2 s while the outcome is unknown, or Slack's Retry-After when longer.
     */
    static Stream<Arguments> nextTries() {
        SlackApiException limited = new SlackRateLimitedException("oauth.v2.access", Duration.ofSeconds(30));
        SlackApiException failing = permanent("some_new_error");
        SlackApiException unseen = transientError("timeout");
        Optional<Instant> far = Optional.of(EXPIRES);
        Instant t = USER_AT;
        return Stream.of(
                Arguments.of("1st failure: 2 s", failing, 0, false, far, Duration.ofSeconds(2)),
                Arguments.of("3rd failure: 8 s", failing, 2, false, far, Duration.ofSeconds(8)),
                Arguments.of("a 429 with Retry-After 30 s after 1 failure: 30 s, not the 4 s backoff", limited, 1,
                        false, far, Duration.ofSeconds(30)),
                Arguments.of("a 429 with Retry-After 30 s after 5 failures: the 64 s backoff", limited, 5, false, far,
                        Duration.ofSeconds(64)),
                Arguments.of("many failures: capped at 5 min", failing, 40, false, far, Duration.ofMinutes(5)),
                // defect 10: exponential steps spent a 30 s window in four failures
                Arguments.of("5th failure with 20 s left: a quarter of it, 5 s, not 32 s", failing, 4, false,
                        Optional.of(t.plusSeconds(20)), Duration.ofSeconds(5)),
                Arguments.of("with 2 s left: at least 1 s", failing, 4, false, Optional.of(t.plusSeconds(2)),
                        Duration.ofSeconds(1)),
                Arguments.of("expired: at most 30 s", failing, 40, false, Optional.of(t.minusSeconds(60)),
                        Duration.ofSeconds(30)),
                Arguments.of("a Retry-After longer than the time left is still honoured", limited, 0, false,
                        Optional.of(t.plusSeconds(20)), Duration.ofSeconds(30)),
                Arguments.of("the first unknown outcome: at once", unseen, 3, false, far, Duration.ZERO),
                Arguments.of("an unknown outcome after an earlier one: 2 s", unseen, 3, true, far,
                        Duration.ofSeconds(2)),
                Arguments.of("a 429 while in doubt: Retry-After", limited, 3, true, far, Duration.ofSeconds(30)),
                Arguments.of("a documented error while in doubt: still 2 s (the earlier outcome is still unknown)",
                        failing, 3, true, far, Duration.ofSeconds(2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nextTries")
    void aFailedAttemptIsRetriedAfterItsBackoffOrRetryAfter(String name, SlackApiException error, int earlier,
            boolean inDoubt, Optional<Instant> expiresAt, Duration wait) {
        RefreshJournal journal = RefreshJournal.start(REFRESH, USER_AT.minusSeconds(10), Optional.empty());
        for (int i = 0; i < earlier; i++) {
            journal = journal.failed(USER_AT.minusSeconds(10), USER_AT, "internal_error", false,
                    inDoubt && i == 0);
        }
        RefreshJournal failed = RefreshProtocol.afterFailure(journal, error, expiresAt, USER_AT);
        assertThat(failed.failures()).isEqualTo(earlier + 1);
        assertThat(failed.retryAt()).contains(USER_AT.plus(wait));
        Plan plan = ready().store(journal(TokenPair.USER, failed)).at(USER_AT).decide();
        assertThat(describe(plan)).as("nothing is tried before then").isEqualTo(wait.isZero() ? "Refresh(USER)"
                : "Project next=" + USER_AT.plus(wait) + " failures=" + (earlier + 1));
    }

    /**
     * Issue 22: Ready never says True while the token in the Secret is expired. One row per case, with a 60 s token
     * whose refresh keeps failing: valid and retrying, expired and retrying (and queued), refreshed after expiry.
     */
    static Stream<Arguments> expiries() {
        Instant issued = NOW;
        Instant expires = issued.plusSeconds(60);
        StoredTokens shortLived = new StoredTokens(UID, SlackToken.of("xoxe.xoxp-1-access"), Optional.of(REFRESH),
                Optional.of(expires), List.of("chat:write"), "U1", Optional.empty(), Optional.of("T1"),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), issued, "7");
        Given base = ready().store(Optional.of(stored(shortLived)));
        RefreshJournal failing = RefreshJournal.start(REFRESH, expires.minusSeconds(20), Optional.empty())
                .failed(expires.minusSeconds(20), expires.plusSeconds(10), "http_503", false, true);
        Given retrying = base.store(journal(TokenPair.USER, failing));
        return Stream.of(
                Arguments.of("valid and retrying: True/RefreshRetrying, a pass when it starts to count as expired",
                        retrying.at(expires.minusSeconds(10)), "True", Reason.RefreshRetrying,
                        expires.minus(RefreshPolicy.EXPIRY_GUARD)),
                Arguments.of("2 s before expires_at: False/TokenExpired (the guard)", retrying.at(expires.minus(
                        RefreshPolicy.EXPIRY_GUARD)), "False", Reason.TokenExpired, expires.plusSeconds(10)),
                Arguments.of("expired and retrying: False/TokenExpired", retrying.at(expires.plusSeconds(1)), "False",
                        Reason.TokenExpired, expires.plusSeconds(10)),
                Arguments.of("expired and queued for a permit: False/TokenExpired", base.at(expires.plusSeconds(1))
                        .pass(Decision.Pass.start().queued(TokenPair.USER, expires.plusSeconds(5))), "False",
                        Reason.TokenExpired, expires.plusSeconds(5)),
                Arguments.of("expired, the refresh superseded in this pass: False/TokenExpired", base.at(
                        expires.plusSeconds(1)).pass(Decision.Pass.start().tried(TokenPair.USER, false, false)),
                        "False", Reason.TokenExpired, expires.plusSeconds(2)),
                Arguments.of("refreshed after expiry: True/Refreshed again", ready().lastReady("TokenExpired",
                        "expired", 1).at(NOW).pass(
                        Decision.Pass.start().tried(TokenPair.USER, true, false)), "True", Reason.Refreshed, USER_AT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("expiries")
    void readyFollowsTheClock(String name, Given given, String status, Reason reason, Instant next) {
        Plan plan = given.decide();
        assertThat(plan).isInstanceOf(Plan.Project.class);
        assertThat(((Plan.Final) plan).lookAgainAt()).as("next pass").contains(next);
        var built = StatusBuilder.build(given.connection(), (Plan.Final) plan, given.pass(), Optional.empty(), 600,
                given.now());
        var ready = ReadyCondition.get(built).orElseThrow();
        assertThat(ready.getStatus()).isEqualTo(status);
        assertThat(ready.getReason()).isEqualTo(reason.name());
        if (reason == Reason.TokenExpired) {
            assertThat(ready.getMessage()).contains("expired at");
        }
    }

    static String describe(Plan plan) {
        if (plan instanceof Plan.Invalid p) {
            return "Invalid(" + p.message() + ")" + next(p);
        }
        if (plan instanceof Plan.AwaitConsent p) {
            return "AwaitConsent(" + p.store().flatMap(StoreState::dead).map(d -> d.reason() + ": " + d.message())
                    .orElse("none") + ")" + next(p);
        }
        if (plan instanceof Plan.Project p) {
            return "Project" + next(p) + p.user().failures().map(j -> " failures=" + j.failures()).orElse("")
                    + p.bot().failures().map(j -> " bot-failures=" + j.failures()).orElse("")
                    + p.queuedUntil().map(t -> " queued=" + t).orElse("");
        }
        if (plan instanceof Plan.Refresh p) {
            return "Refresh(" + p.pair() + p.manualRequest().map(m -> ", " + m).orElse("")
                    + p.scheduledFor().map(t -> ", for " + t).orElse("") + ")";
        }
        if (plan instanceof Plan.Refused p) {
            return "Refused(" + p.reason() + ": " + p.message() + ")" + next(p);
        }
        if (plan instanceof Plan.Discard p) {
            return "Discard(" + p.request() + ")";
        }
        if (plan instanceof Plan.MarkHandled p) {
            return "MarkHandled(" + p.request() + ")";
        }
        return plan.getClass().getSimpleName();
    }

    private static String next(Plan.Final plan) {
        return " next=" + plan.lookAgainAt().map(Instant::toString).orElse("never");
    }
}
