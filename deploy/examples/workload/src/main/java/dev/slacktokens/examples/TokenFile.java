package dev.slacktokens.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The token files of a Secret volume, re-read when they change.
 *
 * <p>The kubelet writes a Secret volume atomically: the files go into a new hidden directory, then the
 * {@code ..data} symlink is renamed onto it (about a minute after the Secret changed, its sync period). A watch on
 * the mount directory sees that rename, and the next read of {@code access_token} gets the new token. This is why
 * the Secret must be mounted as a directory: a {@code subPath} mount is a copy taken when the container starts and
 * never changes, and an environment variable is fixed when the container starts; both keep the first token, which
 * dies at its expiry (12 hours with token rotation).
 */
final class TokenFile {

    /** A token as read from the files; {@code toString} does not print it. */
    record Token(String accessToken, String userId, String expiresAt) {
        String fingerprint() {
            try {
                byte[] hash = MessageDigest.getInstance("SHA-256")
                        .digest(accessToken.getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(hash, 0, 4);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String toString() {
            return "Token[" + fingerprint() + " of " + userId + ", expires " + expiresAt + "]";
        }
    }

    private final Path dir;
    private final Logger log;
    private volatile Token current;

    private TokenFile(Path dir, Logger log) {
        this.dir = dir;
        this.log = log;
    }

    /** Reads the token now and keeps it current from a daemon thread watching the directory. */
    static TokenFile watch(Path dir, Logger log) throws InterruptedException {
        TokenFile file = new TokenFile(dir, log);
        while (file.reload() == null) {
            log.log("waiting for %s/access_token", dir);
            Thread.sleep(2000);
        }
        WatchService watcher;
        try {
            watcher = dir.getFileSystem().newWatchService();
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot watch " + dir, e);
        }
        Thread thread = new Thread(() -> file.follow(watcher), "token-file-watch");
        thread.setDaemon(true);
        thread.start();
        return file;
    }

    /** Where log lines go. */
    @FunctionalInterface
    interface Logger {
        void log(String format, Object... args);
    }

    Token current() {
        return current;
    }

    /** Reads the files again; returns the token, or null if there is none yet. Says so when the token changed. */
    synchronized Token reload() {
        Token read;
        try {
            read = new Token(Files.readString(dir.resolve("access_token")).trim(), optional("user_id"),
                    optional("expires_at"));
        } catch (NoSuchFileException e) {
            return current;
        } catch (IOException e) {
            log.log("could not read %s: %s", dir.resolve("access_token"), e.getMessage());
            return current;
        }
        Token before = current;
        if (read.accessToken().isEmpty()) {
            return before;
        }
        if (before == null || !before.accessToken().equals(read.accessToken())) {
            current = read;
            log.log(before == null ? "token %s of %s, expires %s" : "token changed: now %s of %s, expires %s",
                    read.fingerprint(), read.userId(), read.expiresAt());
        }
        return current;
    }

    private String optional(String key) throws IOException {
        Path p = dir.resolve(key);
        return Files.exists(p) ? Files.readString(p).trim() : "?";
    }

    private void follow(WatchService watcher) {
        try {
            while (true) {
                WatchKey key = watcher.take();
                key.pollEvents();
                reload();
                if (!key.reset()) {
                    log.log("%s is gone; the token is no longer followed", dir);
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            Thread.currentThread().interrupt();
        }
    }
}
