package io.paguma.cli;

import io.paguma.testing.JavaSources;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's code must not rot (issue 10, item 7): every {@code ```java} block compiles against
 * paguma-core and paguma-hub (docs/HUB.md's blocks too), and the pom of "Use it in your project" names this project's versions. The rules
 * for blocks are written in an HTML comment at the top of README.md.
 */
class ReadmeTest {
    private static final Pattern FENCE = Pattern.compile("(?m)^```(\\w*)\\n(.*?)^```\\s*$", Pattern.DOTALL);
    private static final Pattern TOP_CLASS =
            Pattern.compile("(?m)^(?:public\\s+)?(?:final\\s+)?class\\s+(\\w+)");
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
    private static final String SECTION = "## Use it in your project";

    private record Block(String lang, String text, int line) {
    }

    private static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.exists(dir.resolve("README.md")) && Files.exists(dir.resolve("paguma-core")))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the project root above " + Path.of("").toAbsolutePath()).isNotNull();
        return dir;
    }

    private static String readme() throws Exception {
        return Files.readString(root().resolve("README.md"), StandardCharsets.UTF_8);
    }

    private static List<Block> blocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = FENCE.matcher(markdown);
        while (m.find()) {
            int line = 1 + (int) markdown.substring(0, m.start()).chars().filter(c -> c == '\n').count();
            blocks.add(new Block(m.group(1), m.group(2), line));
        }
        return blocks;
    }

    /** The README's Java blocks as compilation units, by the rules at the top of README.md. */
    static Map<String, String> compilationUnits(String markdown) {
        Map<String, String> units = new LinkedHashMap<>();
        for (Block b : blocks(markdown)) {
            if (!b.lang().equals("java")) continue;
            Matcher cls = TOP_CLASS.matcher(b.text());
            if (cls.find()) {
                Matcher pkg = PACKAGE.matcher(b.text());
                String name = (pkg.find() ? pkg.group(1) + "." : "") + cls.group(1);
                assertThat(units).as("two README blocks declare " + name).doesNotContainKey(name);
                units.put(name, b.text());
                continue;
            }
            StringBuilder imports = new StringBuilder();
            StringBuilder body = new StringBuilder();
            for (String l : b.text().split("\n", -1)) {
                (l.startsWith("import ") ? imports : body).append(l).append('\n');
            }
            String name = "ReadmeSnippetAtLine" + b.line();
            units.put(name, imports + "public class " + name + " {\n"
                    + "    void run() throws Exception {\n" + body + "    }\n}\n");
        }
        return units;
    }

    @Test
    void everyJavaBlockCompiles() throws Exception {
        Map<String, String> units = compilationUnits(readme());
        assertThat(units.keySet()).as("the README's Java blocks")
                .contains("Echo", "kv.KvServer", "kv.KvClient")
                .anyMatch(n -> n.startsWith("ReadmeSnippetAtLine"));
        JavaSources.Result r = JavaSources.compile(units);
        assertThat(r.errors()).as("README Java blocks, compiled as %s", units).isEmpty();
    }

    @Test
    void everyJavaBlockOfTheHubPageCompiles() throws Exception {
        Map<String, String> units = compilationUnits(Files.readString(root().resolve("docs/HUB.md"), StandardCharsets.UTF_8));
        assertThat(units.keySet()).as("docs/HUB.md's Java blocks").contains("Session")
                .anyMatch(n -> n.startsWith("ReadmeSnippetAtLine"));
        JavaSources.Result r = JavaSources.compile(units);
        assertThat(r.errors()).as("docs/HUB.md Java blocks, compiled as %s", units).isEmpty();
    }

    @Test
    void theRulesCatchABrokenBlock() {
        String markdown = "x\n```java\nimport io.paguma.Server;\n\nServer.builder().noSuchMethod();\n```\n";
        assertThat(JavaSources.compile(compilationUnits(markdown)).errors())
                .singleElement().asString().contains("ReadmeSnippetAtLine2", "noSuchMethod");
    }

    private static Document xml(String text) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The text of the first direct child element named {@code name}, or null. */
    private static String child(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && n.getNodeName().equals(name)) return n.getTextContent().trim();
        }
        return null;
    }

    /** The version given for artifactId {@code artifact} in elements named {@code tag}. */
    private static String versionOf(Document pom, String tag, String artifact) {
        NodeList list = pom.getElementsByTagName(tag);
        for (int i = 0; i < list.getLength(); i++) {
            Element e = (Element) list.item(i);
            if (artifact.equals(child(e, "artifactId"))) return child(e, "version");
        }
        return null;
    }

    @Test
    void thePomOfUseItInYourProjectNamesThisProjectsVersions() throws Exception {
        String readme = readme();
        int start = readme.indexOf("\n" + SECTION + "\n");
        assertThat(start).as("README section " + SECTION).isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        List<Block> xmlBlocks = blocks(readme.substring(start, end < 0 ? readme.length() : end)).stream()
                .filter(b -> b.lang().equals("xml")).toList();
        assertThat(xmlBlocks).as("xml blocks in " + SECTION).hasSize(1);
        Document snippet = xml(xmlBlocks.get(0).text());
        Document project = xml(Files.readString(root().resolve("pom.xml"), StandardCharsets.UTF_8));
        Element projectRoot = project.getDocumentElement();
        Element properties = (Element) projectRoot.getElementsByTagName("properties").item(0);

        assertThat(versionOf(snippet, "dependency", "paguma-core")).as("paguma-core's version")
                .isEqualTo(child(projectRoot, "version"));
        assertThat(versionOf(snippet, "dependency", "slf4j-simple")).as("slf4j-simple's version")
                .isEqualTo(child(properties, "slf4j.version"));
        assertThat(versionOf(snippet, "plugin", "maven-compiler-plugin")).as("maven-compiler-plugin's version")
                .isEqualTo(versionOf(project, "plugin", "maven-compiler-plugin"));
        Element snippetProperties = (Element) snippet.getElementsByTagName("properties").item(0);
        assertThat(child(snippetProperties, "maven.compiler.release")).isEqualTo("17");
    }
}
