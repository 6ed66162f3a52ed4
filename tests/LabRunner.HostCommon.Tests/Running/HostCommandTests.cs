using LabRunner.HostCommon.Running;

namespace LabRunner.HostCommon.Tests.Running;

public class HostCommandTests
{
    [Fact]
    public void A_command_in_a_namespace_runs_through_ip_netns_exec_as_one_argument_vector()
    {
        var command = new HostCommand("nft", ["-f", "-"]).InNamespace("lrtest-1");

        Assert.Equal(["ip", "netns", "exec", "lrtest-1", "nft", "-f", "-"], command.ToArgv().AsEnumerable());
        Assert.Equal(["nft", "-f", "-"], command.InNamespace(null).ToArgv().AsEnumerable());
    }

    [Fact]
    public void The_printed_form_quotes_what_a_reader_would_misread_but_is_never_executed()
    {
        var command = new HostCommand("ip", ["link", "set", "lr1", "alias", "labrunner:v1 lab=x", "it's"]);

        Assert.Equal("ip link set lr1 alias 'labrunner:v1 lab=x' 'it'\\''s'", command.ToString());
    }

    [Fact]
    public void An_argument_with_a_nul_is_refused() =>
        Assert.Throws<ArgumentException>(() => new HostCommand("ip", ["a\0b"]));

    [Fact]
    public async Task A_missing_executable_is_a_start_error_naming_it()
    {
        var runner = new CliWrapHostCommandRunner();

        var error = await Assert.ThrowsAsync<HostCommandStartException>(() => runner.RunAsync(new HostCommand("labrunner-no-such-tool", []), CancellationToken.None));

        Assert.Contains("labrunner-no-such-tool", error.Message, StringComparison.Ordinal);
    }

    [ToolFact("qemu-img")]
    public async Task Arguments_reach_the_process_verbatim_and_stdin_is_fed()
    {
        HostTools.Require(needsRoot: false, "qemu-img");
        var runner = new CliWrapHostCommandRunner();
        // An argument a shell would expand or split: it must arrive as one literal file name.
        var directory = Directory.CreateTempSubdirectory("lr-run-").FullName;
        try
        {
            var path = Path.Combine(directory, "a b;$(touch pwned)*.qcow2");

            var result = await runner.RunAsync(new HostCommand("qemu-img", ["create", "-q", "-f", "qcow2", path, "1M"]), CancellationToken.None);
            var echoed = await runner.RunAsync(new HostCommand("cat", []).WithStandardInput("table inet labrunner {}\n"), CancellationToken.None);

            Assert.True(result.Succeeded, result.StandardError);
            Assert.Equal([path], Directory.GetFiles(directory));
            Assert.Equal("table inet labrunner {}\n", echoed.StandardOutput);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
