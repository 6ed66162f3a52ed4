using System.Reflection;
using System.Text.Json;
using LabRunner.Boxes;
using LabRunner.Cli.Commands;
using LabRunner.Core.Errors;
using LabRunner.Core.Hosting;
using LabRunner.Engine;
using LabRunner.Engine.Guests;
using LabRunner.Engine.Lifecycle;
using LabRunner.HostCommon.Running;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Running;
using LabRunner.Providers.Qemu.Qmp;
using LabRunner.Simulation;

namespace LabRunner.Cli.Tests;

/// <summary>
/// Every error LabRunner reports on purpose derives from <see cref="LabRunnerException"/> and ends in its documented
/// exit code; only a genuine bug reaches the catch-all (exit 70).
/// </summary>
public sealed class ErrorMappingTests : IDisposable
{
    private readonly TempProject _project = new TempProject().With("Labfile.yml", """
        name: shop
        vms:
          - name: web
            box: ubuntu
        """).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    /// <summary>Every assembly built from src/: the CLI and every LabRunner assembly it references.</summary>
    private static IEnumerable<Assembly> SourceAssemblies()
    {
        var cli = typeof(LabApp).Assembly;
        return cli.GetReferencedAssemblies().Where(a => a.Name!.StartsWith("LabRunner.", StringComparison.Ordinal))
            .Select(Assembly.Load).Append(cli).DistinctBy(a => a.FullName);
    }

    [Fact]
    public void Every_public_exception_type_in_src_derives_from_LabRunnerException()
    {
        var assemblies = SourceAssemblies().ToList();
        Assert.True(assemblies.Count >= 8, string.Join(", ", assemblies.Select(a => a.GetName().Name)));

        var strays = assemblies.SelectMany(a => a.GetTypes())
            .Where(t => t.IsPublic || t.IsNestedPublic)
            .Where(t => typeof(Exception).IsAssignableFrom(t) && !typeof(LabRunnerException).IsAssignableFrom(t))
            .Select(t => t.FullName).ToList();

        Assert.Empty(strays);
        Assert.Contains(assemblies.SelectMany(a => a.GetTypes()), t => t == typeof(BoxException));
    }

    [Fact]
    public void Usage_errors_of_the_command_line_are_the_CLIs_own_and_the_engine_reports_its_own_kinds()
    {
        var engine = typeof(LabEngine).Assembly.GetTypes();

        Assert.Equal(typeof(LabApp).Assembly, typeof(UsageException).Assembly);
        Assert.DoesNotContain(engine, t => t.Name == nameof(UsageException));
        Assert.All(engine.Where(t => typeof(LabRunnerException).IsAssignableFrom(t)), t => Assert.NotEqual(typeof(LabApp).Assembly, t.Assembly));
    }

    public static TheoryData<string, int, string> Errors() => new()
    {
        { nameof(UsageException), ExitCodes.Usage, "usage_error" },
        { nameof(ProjectInputException), ExitCodes.Usage, "usage_error" },
        { nameof(UnknownVmException), ExitCodes.Usage, "usage_error" },
        { nameof(NoGuestsException), ExitCodes.Usage, "usage_error" },
        { nameof(HostUnavailableException), ExitCodes.HostFailure, "host_failure" },
        { nameof(HostCommandStartException), ExitCodes.HostFailure, "host_failure" },
        { nameof(HostCommandFailedException), ExitCodes.HostFailure, "host_failure" },
        { "BoxException.Usage", ExitCodes.Usage, "usage_error" },
        { "BoxException.NotFound", ExitCodes.Usage, "usage_error" },
        { "BoxException.ChecksumMismatch", ExitCodes.HostFailure, "checksum_mismatch" },
        { "BoxException.Source", ExitCodes.HostFailure, "source_failed" },
        { "BoxException.InUse", ExitCodes.Conflict, "in_use" },
        { nameof(QmpException), ExitCodes.HostFailure, "host_failure" },
        { nameof(QmpConnectionClosedException), ExitCodes.HostFailure, "host_failure" },
        { nameof(CimQueryException), ExitCodes.HostFailure, "host_failure" },
        { nameof(PowerShellStartException), ExitCodes.HostFailure, "host_failure" },
        { nameof(HostKeyMismatchException), ExitCodes.Conflict, "conflict" },
        { nameof(SimulatedHostException), ExitCodes.HostFailure, "host_failure" },
    };

    private static Exception Make(string name)
    {
        var cause = new IOException("the cause");
        var command = new HostCommand("ip", ["link", "show"]);
        return name switch
        {
            nameof(UsageException) => new UsageException("the message"),
            nameof(ProjectInputException) => new ProjectInputException("the message"),
            nameof(UnknownVmException) => new UnknownVmException("the message"),
            nameof(NoGuestsException) => new NoGuestsException("the message"),
            nameof(HostUnavailableException) => new HostUnavailableException(new HostError(HostErrorKind.AccessDenied, "the message")),
            nameof(HostCommandStartException) => new HostCommandStartException(command, cause),
            nameof(HostCommandFailedException) => new HostCommandFailedException(command, new HostCommandResult(1, "", "the message")),
            nameof(QmpException) => new QmpException("the message"),
            nameof(QmpConnectionClosedException) => new QmpConnectionClosedException("the message"),
            nameof(CimQueryException) => new CimQueryException(CimFailure.Failed, "root/x", "Y", "the message", cause),
            nameof(PowerShellStartException) => new PowerShellStartException("pwsh", cause),
            nameof(HostKeyMismatchException) => new HostKeyMismatchException("web", "SHA256:a", "SHA256:b"),
            nameof(SimulatedHostException) => new SimulatedHostException(HostErrorKind.Conflict, "InvalidOperation", "the message"),
            _ when name.StartsWith("BoxException.", StringComparison.Ordinal) =>
                new BoxException(Enum.Parse<BoxErrorKind>(name["BoxException.".Length..]), "the message", cause),
            _ => throw new ArgumentException(name, nameof(name)),
        };
    }

    private Task<CliResult> StatusThrowing(Exception exception) => Lab.RunAsync(_project.Root, null, new Services
    {
        Host = (_, _, _) => throw exception,
        Seeds = (_, _) => throw new InvalidOperationException("no seeds in these tests"),
    }, "status", "--json");

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task Each_project_exception_ends_in_its_documented_exit_code_with_one_JSON_document(string name, int exitCode, string outcome)
    {
        var exception = Make(name);

        var result = await StatusThrowing(exception);

        Assert.True(result.ExitCode == exitCode, $"{name}: {result}");
        Assert.DoesNotContain("internal error", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(exception.Message, result.Stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("status", json.RootElement.GetProperty("command").GetString());
        Assert.Equal(outcome, json.RootElement.GetProperty("outcome").GetString());
        Assert.Equal(exitCode, json.RootElement.GetProperty("exit_code").GetInt32());
        Assert.Equal(exception.Message, json.RootElement.GetProperty("message").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("diagnostics").GetArrayLength());
    }

    [Fact]
    public async Task Only_an_exception_LabRunner_does_not_report_on_purpose_is_an_internal_error()
    {
        var result = await StatusThrowing(new InvalidOperationException("a bug"));

        Assert.True(result.ExitCode == ExitCodes.InternalError, result.ToString());
        Assert.Contains("internal error: InvalidOperationException: a bug", result.Stderr, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("internal_error", json.RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_cancellation_that_is_not_the_users_is_not_reported_as_an_interruption()
    {
        // An HTTP or SSH timeout surfaces as OperationCanceledException; only Ctrl+C is "interrupted" (130).
        var result = await StatusThrowing(new TaskCanceledException("a timeout nobody wrapped"));

        Assert.True(result.ExitCode == ExitCodes.InternalError, result.ToString());
    }
}

/// <summary>Third-party exceptions the CLI itself can meet are wrapped where they are thrown.</summary>
public sealed class CliEdgeTests : IDisposable
{
    private readonly TempProject _project = new TempProject().With("Labfile.yml", """
        name: shop
        vms:
          - name: web
            box: ubuntu
        """).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    [UnixFact]
    public async Task A_program_on_PATH_that_cannot_be_started_is_a_usage_error_not_a_bug()
    {
        // A file named ssh that is not executable: Process.Start throws Win32Exception.
        var bin = Path.Combine(_project.Root, "bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "ssh"), "not a program");
        var env = new CliEnvironment(new Spectre.Console.Testing.TestConsole(), new StringWriter(), _project.Root, name => name == "PATH" ? bin : null);

        var error = await Assert.ThrowsAsync<UsageException>(() => ProcessExec.RunAsync("ssh", ["-V"], env, CancellationToken.None));

        Assert.Contains("could not be started", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_into_a_folder_that_cannot_be_made_is_a_usage_error_naming_it()
    {
        _project.With("taken", "a file, not a folder");

        var result = await Lab.RunAsync(_project.Root, "seed", "web", "--out", "taken");

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Contains("taken' cannot be written", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seed_in_a_lab_of_one_VM_takes_the_only_VM_as_ssh_does()
    {
        var result = await Lab.RunAsync(_project.Root, "seed");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("web: ", result.Stdout, StringComparison.Ordinal);
    }
}

/// <summary>Runs only on Unix (file modes, FIFOs and devices).</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "Unix file modes, FIFOs and devices only.";
    }
}
