"""Maven parser: pom.xml with properties, parent, dependency management, plugins and profiles, and
the odd ones: invalid XML, XML bombs and XXE, a root that is not <project>."""

from __future__ import annotations

import pytest

from planvec.kinds.base import Source
from planvec.kinds.dependencies import maven
from planvec.kinds.dependencies.records import DepFile

POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.1</version>
    <relativePath/>
  </parent>
  <artifactId>orders</artifactId>
  <properties>
    <jackson.version>2.16.1</jackson.version>
    <jackson.bom>${jackson.version}</jackson.bom>
    <junit.range>[5.9,6.0)</junit.range>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.fasterxml.jackson</groupId>
        <artifactId>jackson-bom</artifactId>
        <version>${jackson.bom}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
      <dependency>
        <groupId>org.postgresql</groupId>
        <artifactId>postgresql</artifactId>
        <version>42.7.1</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>orders-api</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>org.postgresql</groupId>
      <artifactId>postgresql</artifactId>
      <scope>runtime</scope>
    </dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>${junit.range}</version>
      <scope>test</scope>
      <optional>true</optional>
    </dependency>
    <dependency>
      <groupId>jakarta.servlet</groupId>
      <artifactId>jakarta.servlet-api</artifactId>
      <version>[6.0.0]</version>
      <scope>provided</scope>
    </dependency>
    <dependency>
      <groupId>org.projectlombok</groupId>
      <artifactId>lombok</artifactId>
      <version>${lombok.version}</version>
      <optional>true</optional>
    </dependency>
    <dependency>
      <artifactId>no-group</artifactId>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <artifactId>maven-surefire-plugin</artifactId>
        <version>3.2.3</version>
        <dependencies>
          <dependency>
            <groupId>org.junit.platform</groupId>
            <artifactId>junit-platform-launcher</artifactId>
            <version>1.10.1</version>
          </dependency>
        </dependencies>
      </plugin>
    </plugins>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.codehaus.mojo</groupId>
          <artifactId>exec-maven-plugin</artifactId>
          <version>3.1.1</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
  <profiles>
    <profile>
      <id>h2</id>
      <dependencies>
        <dependency>
          <groupId>com.h2database</groupId>
          <artifactId>h2</artifactId>
          <version>2.2.224</version>
        </dependency>
      </dependencies>
    </profile>
  </profiles>
</project>
"""


def test_pom_records() -> None:
    parsed = maven.parse_pom(Source("svc/pom.xml", POM))
    assert parsed.format == "pom.xml" and not parsed.lockfile and parsed.problems[0].line == 63
    assert parsed.project == "org.springframework.boot:orders"  # groupId inherited from the parent
    rows = [(d.name, d.specifier, d.version, d.dep_type, d.group, d.line) for d in parsed.dependencies]
    assert rows == [
        ("org.springframework.boot:spring-boot-starter-parent", "3.2.1", "3.2.1", "build", "parent", 5),
        (
            "org.springframework.boot:orders-api",
            "3.2.1",
            "3.2.1",
            "runtime",
            "",
            34,
        ),  # version from the parent
        ("org.postgresql:postgresql", "42.7.1", "42.7.1", "runtime", "", 39),  # managed version
        ("org.junit.jupiter:junit-jupiter", "[5.9,6.0)", None, "dev", "", 44),  # test wins over optional
        ("jakarta.servlet:jakarta.servlet-api", "[6.0.0]", "6.0.0", "build", "", 51),
        ("org.projectlombok:lombok", "${lombok.version}", None, "optional", "", 57),
        ("com.fasterxml.jackson:jackson-bom", "2.16.1", "2.16.1", "runtime", "managed", 19),
        ("org.postgresql:postgresql", "42.7.1", "42.7.1", "runtime", "managed", 26),
        ("org.apache.maven.plugins:maven-surefire-plugin", "3.2.3", "3.2.3", "build", "plugin", 69),
        ("org.junit.platform:junit-platform-launcher", "1.10.1", "1.10.1", "build", "plugin", 73),
        ("org.codehaus.mojo:exec-maven-plugin", "3.1.1", "3.1.1", "build", "managed-plugin", 83),
        ("com.h2database:h2", "2.2.224", "2.2.224", "runtime", "profile:h2", 95),
    ]
    assert all(d.ecosystem == "maven" and d.direct for d in parsed.dependencies)
    assert parsed.warnings == (
        "line 57: org.projectlombok:lombok: ${lombok.version} is not defined in this POM (kept as written)",
    )
    assert "without groupId" in parsed.problems[0].reason
    lines = POM.split("\n")
    for dep in parsed.dependencies:
        assert lines[dep.line - 1].strip() in ("<dependency>", "<plugin>", "<parent>")


def test_property_cycles_stop() -> None:
    pom = "<project><properties><a>${b}</a><b>${a}</b></properties><dependencies><dependency>"
    pom += "<groupId>g</groupId><artifactId>x</artifactId><version>${a}</version>"
    pom += "</dependency></dependencies></project>"
    parsed = maven.parse_pom(Source("pom.xml", pom))
    (dep,) = parsed.dependencies
    assert dep.version is None and "${" in dep.specifier and len(parsed.warnings) == 1


def test_namespace_prefixes_and_encoding_declarations() -> None:
    pom = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<m:project xmlns:m="http://maven.apache.org/POM/4.0.0">'
    )
    pom += "<m:groupId>é</m:groupId><m:artifactId>a</m:artifactId>"
    pom += "<m:dependencies><m:dependency><m:groupId>g</m:groupId>"
    pom += (
        "<m:artifactId>ü</m:artifactId><m:version>1</m:version></m:dependency></m:dependencies></m:project>"
    )
    parsed = maven.parse_pom(Source("pom.xml", pom))
    assert parsed.project == "é:a" and [(d.name, d.version) for d in parsed.dependencies] == [("g:ü", "1")]


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<project><artifactId>&lol2;</artifactId></project>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<project><artifactId>&xxe;</artifactId></project>
"""


@pytest.mark.parametrize("text", [BOMB, XXE], ids=["billion-laughs", "xxe"])
def test_entities_are_refused(text: str) -> None:
    parsed = maven.parse_pom(Source("pom.xml", text))
    assert parsed.dependencies == ()
    (problem,) = parsed.problems
    assert problem.reason.startswith("refused:") and "entit" in problem.reason and problem.line


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("<project>\n<dependencies>\n<dependency>\n</project>\n", 4, "mismatched tag"),
        ("", 1, "no element found"),
        ("<settings><x/></settings>", 1, "not <project>"),
        ("not xml at all", 1, "syntax error"),
    ],
)
def test_broken_poms_are_one_problem(text: str, line: int, words: str) -> None:
    parsed = maven.parse_pom(Source("pom.xml", text))
    (problem,) = parsed.problems
    assert parsed.dependencies == () and problem.line == line and words in problem.reason


def test_exact_versions() -> None:
    assert [
        maven.exact_version(s) for s in ("1.2.3", "[1.2.3]", "[1.0,2.0)", "(,1.0]", "${x}", "1.0-SNAPSHOT")
    ] == [
        "1.2.3",
        "1.2.3",
        None,
        None,
        None,
        "1.0-SNAPSHOT",
    ]


def test_never_raises_on_garbage() -> None:
    for text in ("\x00", "<" * 3000, "<project>" * 3000, "<project><dependencies>x</dependencies></project>"):
        assert isinstance(maven.parse_pom(Source("pom.xml", text)), DepFile)


def test_reading_warnings_come_first() -> None:
    parsed = maven.parse_pom(Source("pom.xml", "", warnings=("empty file",)))
    assert parsed.warnings == ("empty file",) and len(parsed.problems) == 1
