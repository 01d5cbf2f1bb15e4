package dev.slacktokens.operator.store;

/** Labels and annotations the operator puts on the Secrets it owns; informers select on them. */
public final class Labels {

    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGER = "slack-token-operator";
    public static final String ROLE = "slacktokens.dev/role";
    public static final String ROLE_STORE = "token-store";
    public static final String ROLE_WORKLOAD = "workload";
    /** The connection's name as a label value: the name itself, or a shortened unique form past 63 characters. */
    public static final String CONNECTION = "slacktokens.dev/connection";
    /** On a token store: the connection's full name (a label value is capped at 63 characters, a name is not). */
    public static final String CONNECTION_NAME = "slacktokens.dev/connection-name";
    public static final String CONNECTION_NAMESPACE = "slacktokens.dev/connection-namespace";
    public static final String CONNECTION_UID = "slacktokens.dev/connection-uid";
    /** Keyed digest of the last OAuth state consumed by a callback, to recognise a replay. */
    public static final String CONSUMED_STATE = "slacktokens.dev/consumed-state";
    /**
     * On a token store: how many authorizations (consents, imports) completed for the connection. Every store
     * creation or replacement by an authorization bumps it (compare-and-set), and authorize links carry the value
     * they were signed at, so a link is good for one authorization only.
     */
    public static final String AUTHORIZATION_GENERATION = "slacktokens.dev/authorization-generation";
    /** On a token store: a refresh with the refresh token of this digest was started at this time. */
    public static final String REFRESH_JOURNAL = "slacktokens.dev/refresh-journal";
    /** On a token store whose bot pair Slack no longer accepts: why it was dropped. */
    public static final String BOT_DEAD = "slacktokens.dev/bot-dead";
    /** The same for the bot token of a bot+user install. */
    public static final String REFRESH_JOURNAL_BOT = "slacktokens.dev/refresh-journal-bot";
    /** On a token store whose tokens Slack no longer accepts: {@code Reason: message}. */
    public static final String DEAD = "slacktokens.dev/dead";
    /** On a connection: a new value forces one refresh. */
    public static final String REFRESH_REQUEST = "slacktokens.dev/refresh";
    /** On a connection: a new value discards the tokens and publishes a new authorize link. */
    public static final String REAUTHORIZE_REQUEST = "slacktokens.dev/reauthorize";
    /** On a token store: the last {@link #REFRESH_REQUEST} value acted on. */
    public static final String REFRESH_HANDLED = "slacktokens.dev/refresh-handled";
    /** On a token store: the last {@link #REAUTHORIZE_REQUEST} value acted on. */
    public static final String REAUTHORIZE_HANDLED = "slacktokens.dev/reauthorize-handled";
    /** On a token store made by {@code spec.importFrom}: digest of the long-lived token it replaced. */
    public static final String IMPORTED = "slacktokens.dev/imported";

    public static final String STORE_SELECTOR = MANAGED_BY + "=" + MANAGER + "," + ROLE + "=" + ROLE_STORE;
    public static final String WORKLOAD_SELECTOR = MANAGED_BY + "=" + MANAGER + "," + ROLE + "=" + ROLE_WORKLOAD;

    private Labels() {
    }

    /**
     * A connection name as a label value. Names of up to 63 characters are used as they are; longer ones (legal for
     * an object name, not for a label value) become their first 54 characters, a dash and 8 hex digits of their
     * SHA-256, so that they stay unique and recognisable.
     */
    public static String labelValue(String name) {
        if (name.length() <= 63) {
            return name;
        }
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return name.substring(0, 54) + "-" + java.util.HexFormat.of().formatHex(d, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
