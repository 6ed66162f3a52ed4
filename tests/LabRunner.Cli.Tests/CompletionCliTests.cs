using System.Management.Automation;
using System.Management.Automation.Runspaces;
using LabRunner.Cli.Commands;
using LabRunner.Tests.Shared;

namespace LabRunner.Cli.Tests;

/// <summary>
/// 'lab completion SHELL': the scripts load in their real shells (bash as a process; PowerShell in the PowerShell
/// engine of the System.Management.Automation package, as the Hyper-V tests run it) and, asked as the shell asks at
/// Tab, offer commands, options and the VM names of the Labfile in the current folder.
/// </summary>
public sealed class CompletionCliTests : IDisposable
{
    private const string Labfile = """
        name: shop
        networks:
          - { name: lan, type: nat }
        vms:
          - name: web-{n}
            count: 2
            networks: [lan]
          - name: db
            networks: [lan]
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile);

    public void Dispose() => _project.Dispose();

    /// <summary>A 'lab' on a PATH folder of the test's own: the lab.dll built beside the tests, run by the dotnet running them.</summary>
    private string LabOnPath()
    {
        var bin = Path.Combine(_project.Root, "bin");
        Directory.CreateDirectory(bin);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : HostTools.Find("dotnet") ?? "dotnet";
        var lab = Path.Combine(bin, "lab");
        File.WriteAllText(lab, $"#!/bin/sh\nexec '{dotnet}' '{Path.Combine(AppContext.BaseDirectory, "lab.dll")}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(lab, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return bin;
    }

    [Theory]
    [InlineData("lab ss", "ssh\nssh-config")]
    [InlineData("lab ssh ", "db\nweb-1\nweb-2")]
    [InlineData("lab ssh we", "web-1\nweb-2")]
    [InlineData("lab status --js", "--json")]
    [InlineData("lab up --provider s", "simulated")]
    [InlineData("lab init w", "web-db\nwindows")]
    [InlineData("lab completion ", "bash\nfish\npwsh\nzsh")]
    public async Task Bash_loads_the_script_and_completes_commands_options_and_VM_names(string line, string expected)
    {
        HostTools.Require(needsRoot: false, "bash");
        var bin = LabOnPath();
        var words = line.Split(' ');
        var script = $$"""
            set -e
            export PATH='{{bin}}':"$PATH"
            cd '{{_project.Root}}'
            eval "$(lab completion bash)"
            complete -p lab
            COMP_LINE='{{line}}'; COMP_POINT={{line.Length}}
            COMP_WORDS=({{string.Join(' ', words.Select(w => $"'{w}'"))}}); COMP_CWORD={{words.Length - 1}}
            _lab_complete
            printf '%s\n' "${COMPREPLY[@]}" | sort
            """;

        var result = await HostTools.Runner.RunAsync(new LabRunner.HostCommon.Running.HostCommand("bash", ["-c", script]), CancellationToken.None);

        Assert.True(result.ExitCode == 0, result.StandardError);
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("complete -o default -F _lab_complete lab", lines[0]);
        Assert.Equal(expected, string.Join('\n', lines.Skip(1)));
    }

    [Theory]
    [InlineData("lab ss", "ssh|ssh-config")]
    [InlineData("lab ssh ", "db|web-1|web-2")]
    [InlineData("lab halt --ti", "--timeout")]
    public async Task PowerShell_loads_the_script_and_completes_commands_options_and_VM_names(string line, string expected)
    {
        HostTools.Require(needsRoot: false, "bash");
        var bin = LabOnPath();
        var script = (await Lab.RunAsync(_project.Root, "completion", "pwsh")).Stdout;
        var path = Environment.GetEnvironmentVariable("PATH");
        var iss = InitialSessionState.CreateDefault2();
        using var runspace = RunspaceFactory.CreateRunspace(iss);
        runspace.Open();
        using var ps = PowerShell.Create(runspace);
        // The native completer runs 'lab' as PowerShell finds it: by PATH, from the project folder.
        ps.AddScript($"$env:PATH = '{bin}' + [IO.Path]::PathSeparator + $env:PATH; $ExecutionContext.SessionState.Path.SetLocation('{_project.Root}')").Invoke();
        ps.Commands.Clear();
        ps.AddScript(script).Invoke();
        Assert.False(ps.HadErrors, string.Join("\n", ps.Streams.Error));
        ps.Commands.Clear();

        CommandCompletion completion;
        try
        {
            completion = CommandCompletion.CompleteInput(line, line.Length, null, ps);
        }
        finally
        {
            // $env:PATH is this process's: the other tests get theirs back.
            Environment.SetEnvironmentVariable("PATH", path);
        }

        var texts = completion.CompletionMatches.Select(m => m.CompletionText).Order(StringComparer.Ordinal);
        Assert.Equal(expected, string.Join('|', texts));
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _lab_complete lab")]
    [InlineData("zsh", "compdef _lab_complete lab")]
    [InlineData("fish", "complete -c lab -f -a '(__lab_complete)'")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName 'lab'")]
    public async Task Each_shell_gets_its_script(string shell, string registration)
    {
        var result = await Lab.RunAsync(_project.Root, "completion", shell);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(registration, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("[suggest:", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_shell_is_a_usage_error()
    {
        var result = await Lab.RunAsync(_project.Root, "completion", "tcsh");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task VM_names_come_from_the_Labfile_named_by_f_and_a_broken_Labfile_completes_nothing()
    {
        _project.With("other/Labfile.yml", Labfile.Replace("name: db", "name: cache", StringComparison.Ordinal)).With("broken/Labfile.yml", "vms: [");

        const string Line = "lab ssh -f other/Labfile.yml ";
        var other = await Lab.RunAsync(_project.Root, $"[suggest:{Line.Length}]", Line);
        var broken = await Lab.RunAsync(Path.Combine(_project.Root, "broken"), "[suggest:8]", "lab ssh ");

        Assert.Equal(0, other.ExitCode);
        Assert.Contains("cache", other.Stdout.Split('\n').Select(l => l.Trim()));
        Assert.DoesNotContain("db", other.Stdout.Split('\n').Select(l => l.Trim()));
        Assert.Equal(0, broken.ExitCode);
        Assert.DoesNotContain("web-1", broken.Stdout, StringComparison.Ordinal);
        Assert.Contains("--tty", broken.Stdout, StringComparison.Ordinal);
    }
}
