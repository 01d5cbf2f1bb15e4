package dev.slacktokens.operator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.api.v1alpha1.GoDuration;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionSpec;
import dev.slacktokens.operator.api.v1alpha1.SpecProblems;

class SpecProblemsTest {

    @ParameterizedTest
    @CsvSource({ "2h,PT2H", "90m,PT1H30M", "1h30m,PT1H30M", "1.5h,PT1H30M", "45s,PT45S", "1500ms,PT1.5S" })
    void goDurations(String text, String iso) {
        assertThat(GoDuration.parse(text)).isEqualTo(Duration.parse(iso));
    }

    @Test
    void badDurationsAreRefused() {
        assertThatThrownBy(() -> GoDuration.parse("2 hours")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> GoDuration.parse("")).hasMessageContaining("not a duration");
    }

    @Test
    void aGoodSpecHasNoProblems() {
        SlackUserConnectionSpec spec = new SlackUserConnectionSpec();
        spec.setUserScopes(List.of("chat:write", "users:read.email"));
        spec.setRedirectUri("http://localhost:8080/oauth/callback");
        spec.setRefreshBefore("2h");
        spec.setTeam("T0123ABC");
        spec.setUser("W0123ABC");
        assertThat(SpecProblems.of(spec)).isEmpty();
        spec.setRedirectUri("https://tokens.example.com/oauth/callback");
        assertThat(SpecProblems.of(spec)).isEmpty();
    }

    @Test
    void eachRuleNamesItsField() {
        SlackUserConnectionSpec spec = new SlackUserConnectionSpec();
        spec.setUserScopes(List.of());
        spec.setBotScopes(List.of("Bad Scope"));
        spec.setRedirectUri("http://example.com/cb");
        spec.setRefreshBefore("12h");
        spec.setTeam("acme");
        spec.setUser("T01");
        spec.setSecretName("Not_Valid");
        assertThat(SpecProblems.of(spec)).satisfiesExactly(
                p -> assertThat(p).startsWith("spec.userScopes needs at least one"),
                p -> assertThat(p).startsWith("spec.botScopes has an invalid scope 'Bad Scope'"),
                p -> assertThat(p).startsWith("spec.redirectUri must be an https URL"),
                p -> assertThat(p).startsWith("spec.refreshBefore must be between 1m and 11h"),
                p -> assertThat(p).startsWith("spec.team must be"),
                p -> assertThat(p).startsWith("spec.user must be"),
                p -> assertThat(p).startsWith("spec.secretName must be"));
        spec.setRefreshBefore("30s");
        assertThat(SpecProblems.of(spec)).anyMatch(p -> p.contains("not 30s"));
    }
}
