package dev.slacktokens.operator.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;

import dev.slacktokens.operator.config.ProcessExit;

/** Tests never halt their JVM: a lost Lease records the exit status instead. */
@Alternative
@Priority(1)
@Singleton
public class RecordingExit implements ProcessExit {

    private final List<Integer> statuses = new CopyOnWriteArrayList<>();

    @Override
    public void exit(int status) {
        statuses.add(status);
    }

    public List<Integer> statuses() {
        return List.copyOf(statuses);
    }
}
