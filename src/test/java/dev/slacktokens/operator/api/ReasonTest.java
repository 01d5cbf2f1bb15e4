package dev.slacktokens.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.Reason;

class ReasonTest {

    @Test
    void theDocumentedListIsTheClosedSet() {
        assertThat(Reason.ALL_DESCRIBED)
                .isEqualTo(Stream.of(Reason.values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
