namespace LabRunner.Cli.Tests;

/// <summary>A provisioner file that is not next to the Labfile is a Labfile error from validate, at its position.</summary>
public sealed class ProvisionCliTests : IDisposable
{
    private const string Labfile = """
        name: shop
        vms:
          - name: web
            box: ubuntu
            provision:
              - shell: { path: scripts/setup.sh }
              - file: { source: conf/app.ini, destination: /etc/app.ini }
        """;

    private readonly TempProject _project = new TempProject().With("Labfile.yml", Labfile).With("boxes/ubuntu.vhdx", "box");

    public void Dispose() => _project.Dispose();

    [Fact]
    public async Task Validate_reports_each_missing_provisioner_file_at_its_path_and_accepts_them_once_there()
    {
        var missing = await Lab.RunAsync(_project.Root, "validate");
        _project.With("scripts/setup.sh", "#!/bin/sh\n").With("conf/app.ini", "x");
        var present = await Lab.RunAsync(_project.Root, "validate");

        Assert.True(missing.ExitCode == ExitCodes.InvalidLabfile, missing.ToString());
        Assert.Contains("Labfile.yml:6:24: error LAB703: 'scripts/setup.sh'", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("Labfile.yml:7:25: error LAB703: 'conf/app.ini'", missing.Stderr, StringComparison.Ordinal);
        Assert.True(present.ExitCode == 0, present.ToString());
    }
}
