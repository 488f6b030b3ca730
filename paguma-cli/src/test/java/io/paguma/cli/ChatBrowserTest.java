package io.paguma.cli;

import io.paguma.Client;
import io.paguma.Message;
import io.paguma.PagumaConfig;
import io.paguma.PagumaRuntime;
import io.paguma.Server;
import io.paguma.admin.Admin;
import io.paguma.admin.AdminConfig;
import io.paguma.admin.Browser;
import io.paguma.cli.demo.ChatRoom;
import io.paguma.cli.demo.DemoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;

import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo's chat room in a real headless Chromium (chat.html over the WebSocket port, with
 * paguma.js) and a TCP client of the same server, in one room: each hears the other.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ChatBrowserTest {

    @Test
    void aBrowserAndATcpClientTalkInTheSameRoom() throws Exception {
        PagumaConfig config = PagumaConfig.builder().name("demo").host("127.0.0.1").port(0).wsPort(0)
                .mode(PagumaConfig.Mode.BOTH).set(new AdminConfig(), AdminConfig.PORT, 0).build();
        try (PagumaRuntime runtime = PagumaRuntime.create(config);
             Admin admin = Admin.builder().runtime(runtime).config(config).build();
             Browser browser = new Browser()) {
            Server server = DemoServer.build(config, runtime).start();
            BlockingQueue<String> tcpHeard = new LinkedBlockingQueue<>();
            Client tcp = Client.builder().config(PagumaConfig.builder().host("127.0.0.1").port(server.port()).build())
                    .route(ChatRoom.EVENT, r -> tcpHeard.add(r.text())).build();
            try {
                admin.watch(server).start();
                tcp.connect().get(10, TimeUnit.SECONDS);
                tcp.send(new Message(ChatRoom.NICK, "terminal".getBytes()));
                tcp.send(new Message(ChatRoom.JOIN, "lobby".getBytes()));
                assertThat(next(tcpHeard)).isEqualTo("you are now terminal");
                assertThat(next(tcpHeard)).isEqualTo("terminal joined #lobby (1 here)");

                browser.driver.get("http://127.0.0.1:" + admin.port() + "/chat.html");
                await().atMost(Duration.ofSeconds(20)).until(() -> "true".equals(
                        browser.driver.findElement(By.tagName("body")).getAttribute("data-connected")));
                assertThat(browser.driver.findElement(By.id("endpoint")).getText()).isEqualTo("ws://127.0.0.1:" + server.wsPort() + "/ · ltv-le");
                type(browser, "nick", "browser");
                browser.driver.findElement(By.cssSelector("#nick-form button")).click();
                browser.driver.findElement(By.cssSelector("#room-form button")).click();   // "lobby" is filled in
                assertThat(next(tcpHeard)).isEqualTo("browser joined #lobby (2 here)");

                type(browser, "say", "hello from Chromium");
                browser.driver.findElement(By.cssSelector("#say-form button")).click();
                assertThat(next(tcpHeard)).isEqualTo("[lobby] browser: hello from Chromium");

                tcp.send(new Message(ChatRoom.SAY, "hello from the terminal <b>not bold</b>".getBytes()));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(browser.driver.findElement(By.id("log")).getText())
                        .contains("you are now browser")
                        .contains("[lobby] browser: hello from Chromium")
                        .contains("[lobby] terminal: hello from the terminal <b>not bold</b>"));
                // What a peer says is shown as text, never as markup.
                assertThat(browser.driver.findElements(By.cssSelector("#log b"))).isEmpty();
                assertThat(Files.size(browser.screenshot("chat-page"))).isGreaterThan(10_000);
            } finally {
                tcp.close().get(10, TimeUnit.SECONDS);
                server.stop();
            }
        }
    }

    private static void type(Browser b, String id, String text) {
        var input = b.driver.findElement(By.id(id));
        input.clear();
        input.sendKeys(text);
    }

    private static String next(BlockingQueue<String> heard) throws InterruptedException {
        String s = heard.poll(10, TimeUnit.SECONDS);
        assertThat(s).as("a chat line within 10 s").isNotNull();
        return s;
    }
}
