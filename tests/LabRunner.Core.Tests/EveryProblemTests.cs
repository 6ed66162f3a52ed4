namespace LabRunner.Core.Tests;

public class EveryProblemTests
{
    private const string ManyMistakes = """
        name: demo
        colour: blue
        boxes:
          ubuntu: boxes/ubuntu.vhdx
        networks:
          - { name: lan, type: private, subnet: 10.10.0.0/33 }
          - { name: back, type: private }
          - { name: office, type: bridged }
          - { name: outside, type: nat, gateway: 10.188.0.256 }
        vms:
          - name: "web server"
            box: ubuntu
            networks: [lan]
          - name: db
            box: ubunto
            cpus: 0
            memory: 2XB
            generation: 3
            networks: [{ network: lan, mac: "01-00-5E-00-00-01" }]
          - name: cache
            box: ubuntu
            networks: [lna]
          - name: DB
            box: ubuntu
            networks: [outside]
            forwarded_ports: [{ guest: 0, host: 8080 }]
        """;

    [Fact]
    public void A_Labfile_with_many_mistakes_reports_every_one_sorted_by_position()
    {
        var expected = new (string Code, string Needle, int Skip)[]
        {
            ("LAB002", "colour", 0),
            ("LAB201", "10.10.0.0/33", 0),
            ("LAB210", "back", 0),
            ("LAB211", "office", 0),
            ("LAB202", "10.188.0.256", 0),
            ("LAB101", "\"web server\"", 0),
            ("LAB301", "ubunto", 0),
            ("LAB304", "cpus: 0", "cpus: ".Length),
            ("LAB302", "2XB", 0),
            ("LAB305", "generation: 3", "generation: ".Length),
            ("LAB216", "\"01-00", 0),
            ("LAB212", "lna", 0),
            ("LAB102", "name: DB", "name: ".Length),
            ("LAB401", "guest: 0", "guest: ".Length),
        }
        .Select(e =>
        {
            var (line, column) = Where.Is(ManyMistakes, e.Needle);
            return $"{Labfiles.MainPath}:{line}:{column + e.Skip}: {e.Code}";
        })
        .ToList();

        var result = Labfiles.Plan(ManyMistakes);

        var actual = result.Diagnostics.Select(d => $"{d.Span}: {d.Code}").ToList();
        Assert.Equal(expected, actual);
        Assert.True(expected.Distinct().Count() >= 10);
        Assert.Null(result.Plan);
    }

    [Fact]
    public void Diagnostics_are_sorted_by_file_then_line_then_column()
    {
        var result = Labfiles.Load(ManyMistakes, local: "vms:\n  - { name: extra, cpus: 999 }\n");

        var spans = result.Diagnostics.Select(d => d.Span).ToList();
        var sorted = spans.OrderBy(s => s.File, StringComparer.Ordinal).ThenBy(s => s.Line).ThenBy(s => s.Column).ToList();
        Assert.Equal(sorted, spans);
        Assert.Contains(result.Diagnostics, d => d.Span.File == Labfiles.LocalPath);
    }
}
