package dev.slacktokens.operator.testing;

import java.util.concurrent.atomic.AtomicInteger;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.Watchable;

/** Counts the writes (MODIFIED events) the API server reports for the watched objects, from a watch. */
public final class WriteCounter<T extends HasMetadata> implements AutoCloseable {

    private final AtomicInteger modified = new AtomicInteger();
    private final Watch watch;

    public WriteCounter(Watchable<T> watchable) {
        this.watch = watchable.watch(new Watcher<T>() {
            @Override
            public void eventReceived(Action action, T resource) {
                if (action == Action.MODIFIED) {
                    modified.incrementAndGet();
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
    }

    public int writes() {
        return modified.get();
    }

    @Override
    public void close() {
        watch.close();
    }
}
