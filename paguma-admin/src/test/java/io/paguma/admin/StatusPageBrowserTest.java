package io.paguma.admin;

import io.paguma.Client;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Server;
import io.paguma.testing.FrameSocket;
import io.paguma.testing.Servers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The status page in a real headless Chromium: its numbers and plots move while a load runs. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatusPageBrowserTest {

    @Test
    void theStatusPageShowsTheNumbersAndThePlotsMoveWhileALoadRuns() throws Exception {
        PagumaConfig config = Servers.config().name("game").codec("paguma").set(new AdminConfig(), AdminConfig.PORT, 0).build();
        try (PagumaRuntime runtime = PagumaRuntime.create(config);
             Admin admin = Admin.builder().runtime(runtime).config(config).build();
             Browser browser = new Browser()) {
            Server server = Server.builder().runtime(runtime).config(config).route(1, r -> r.reply(1, r.data())).build().start();
            try {
                admin.watch(server).start();
                browser.driver.get("http://127.0.0.1:" + admin.port() + "/");
                await().atMost(Duration.ofSeconds(20)).until(() -> ticks(browser) >= 2);
                assertThat(browser.driver.getTitle()).isEqualTo("Paguma status");
                assertThat(text(browser, "now-connections")).isEqualTo("0");
                String before = text(browser, "total-messages-game");

                // The load: 4 clients in closed loops, plus one bad frame for the error list.
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicLong answered = new AtomicLong();
                List<Client> clients = new ArrayList<>();
                List<Thread> loops = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Client c = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).codec("paguma").build()).build();
                    c.connect().get(10, TimeUnit.SECONDS);
                    clients.add(c);
                    Thread t = new Thread(() -> {
                        byte[] payload = new byte[64];
                        while (running.get()) {
                            try {
                                c.request(1, payload).get(10, TimeUnit.SECONDS);
                                answered.incrementAndGet();
                            } catch (Exception e) {
                                return;
                            }
                        }
                    });
                    t.start();
                    loops.add(t);
                }
                try (FrameSocket bad = FrameSocket.connect(server.port(), io.paguma.Codecs.byName("paguma"))) {
                    bad.sendRaw(new byte[] {0x7f, 0x7f, 0x7f, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
                    await().atMost(Duration.ofSeconds(10)).until(bad::closedByPeer);
                }
                try {
                    // The page sees the 4 connections, a total that grew, a messages plot that rose above 0, the route and the error.
                    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                        assertThat(text(browser, "now-connections")).isEqualTo("4");
                        assertThat(text(browser, "total-messages-game")).isNotEqualTo(before);
                        assertThat(lastPlotted(browser, "plot-messages", "in")).isPositive();
                        assertThat(lastPlotted(browser, "plot-connections", "conn")).isEqualTo(4);
                        assertThat(browser.driver.findElement(By.cssSelector("#routes tbody tr td")).getText()).isEqualTo("1");
                        assertThat(browser.driver.findElement(By.id("errors")).getText()).contains("bad frame");
                        assertThat(browser.driver.findElements(By.cssSelector("#connections tbody tr"))).hasSize(4);
                    });
                    String plotted = browser.driver.findElement(By.cssSelector("#plot-messages path.in")).getAttribute("d");
                    long ticksBefore = ticks(browser);
                    await().atMost(Duration.ofSeconds(10)).until(() -> ticks(browser) > ticksBefore + 1);
                    assertThat(browser.driver.findElement(By.cssSelector("#plot-messages path.in")).getAttribute("d")).isNotEqualTo(plotted);
                    Path shot = browser.screenshot("status-page");
                    assertThat(Files.size(shot)).isGreaterThan(10_000);
                } finally {
                    running.set(false);
                    for (Thread t : loops) t.join(10_000);
                    for (Client c : clients) c.close().get(10, TimeUnit.SECONDS);
                }
                assertThat(answered.get()).isPositive();
            } finally {
                server.stop();
            }
        }
    }

    private static long ticks(Browser b) {
        String t = b.driver.findElement(By.tagName("body")).getAttribute("data-ticks");
        return t == null ? 0 : Long.parseLong(t);
    }

    private static String text(Browser b, String id) {
        List<WebElement> e = b.driver.findElements(By.id(id));
        return e.isEmpty() ? "" : e.get(0).getText();
    }

    private static double lastPlotted(Browser b, String plot, String line) {
        List<WebElement> e = b.driver.findElements(By.cssSelector("#" + plot + " path." + line));
        return e.isEmpty() ? -1 : Double.parseDouble(e.get(0).getAttribute("data-last"));
    }
}
