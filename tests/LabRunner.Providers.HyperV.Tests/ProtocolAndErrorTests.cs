using LabRunner.Core.Hosting;
using LabRunner.Providers.HyperV.Cim;
using LabRunner.Providers.HyperV.Scripting;

namespace LabRunner.Providers.HyperV.Tests;

public class ProtocolTests
{
    [Fact]
    public void Begin_and_ok_lines_carry_the_one_based_step()
    {
        Assert.Equal(new ProtocolEvent.Begin(3), ScriptProtocol.Parse("##labrunner begin 3"));
        Assert.Equal(new ProtocolEvent.Ok(12), ScriptProtocol.Parse("##labrunner ok 12"));
        Assert.Equal(new ProtocolEvent.Ok(1), ScriptProtocol.Parse("  ##labrunner ok 1\r"));
    }

    [Fact]
    public void A_fail_line_decodes_its_base64_id_and_message()
    {
        var line = ScriptProtocol.FailLine(4, "PermissionDenied", "Windows System Error 5,New-NetNat", "Zugriff verweigert.\r\nÄ ’ 😀");

        var fail = Assert.IsType<ProtocolEvent.Fail>(ScriptProtocol.Parse(line));

        Assert.Equal(4, fail.Step);
        Assert.Equal("PermissionDenied", fail.Category);
        Assert.Equal("Windows System Error 5,New-NetNat", fail.FullyQualifiedErrorId);
        Assert.Equal("Zugriff verweigert.\r\nÄ ’ 😀", fail.Message);
    }

    [Fact]
    public void A_fail_line_with_an_empty_message_still_parses()
    {
        var fail = Assert.IsType<ProtocolEvent.Fail>(ScriptProtocol.Parse(ScriptProtocol.FailLine(2, "NotSpecified", "", "")));

        Assert.Equal("", fail.FullyQualifiedErrorId);
        Assert.Equal("", fail.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Name  State")]
    [InlineData("WARNING: something")]
    [InlineData("##labrunner")]
    [InlineData("##labrunner ok")]
    [InlineData("##labrunner ok x")]
    [InlineData("##labrunner ok -1")]
    [InlineData("##labrunner ok 0")]
    [InlineData("##labrunner ok 1 extra")]
    [InlineData("##labrunner done 1")]
    [InlineData("##labrunner fail 2 NotSpecified !!notbase64!! aGk=")]
    [InlineData("##labrunnerok 1")]
    [InlineData("#labrunner ok 1")]
    [InlineData("prefix ##labrunner ok 1")]
    public void Anything_else_is_ignored(string? line)
    {
        Assert.Null(ScriptProtocol.Parse(line));
    }

    [Fact]
    public void The_lines_the_script_writes_are_the_lines_the_parser_reads()
    {
        var script = HyperVScript.Render(new OperationBatch("x", [new StartVm("web")]));

        var lines = script.Split('\n').Select(l => l.Trim()).ToList();
        Assert.Contains("'" + ScriptProtocol.BeginLine(1) + "'", lines);
        Assert.Contains("'" + ScriptProtocol.OkLine(1) + "'", lines);
        Assert.Equal(new ProtocolEvent.Begin(1), ScriptProtocol.Parse(ScriptProtocol.BeginLine(1)));
    }
}

public class ErrorMappingTests
{
    [Theory]
    // A missing Hyper-V or NetNat module: the command does not exist.
    [InlineData("ObjectNotFound", "CommandNotFoundException", HostErrorKind.Unavailable)]
    [InlineData("ResourceUnavailable", "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand", HostErrorKind.Unavailable)]
    [InlineData("ObjectNotFound", "CouldNotAutoloadMatchingModule", HostErrorKind.Unavailable)]
    [InlineData("ObjectNotFound", "CouldNotAutoLoadModule", HostErrorKind.Unavailable)]
    [InlineData("NotInstalled", "x", HostErrorKind.Unavailable)]
    [InlineData("NotEnabled", "x", HostErrorKind.Unavailable)]
    // Not elevated: by category, or by the Win32 / MI / HRESULT code CIM cmdlets put in the id.
    [InlineData("PermissionDenied", "AccessDenied,Microsoft.HyperV.PowerShell.Commands.NewVMSwitch", HostErrorKind.AccessDenied)]
    [InlineData("NotSpecified", "Windows System Error 5,New-NetNat", HostErrorKind.AccessDenied)]
    [InlineData("NotSpecified", "MI RESULT 2,Add-NetNatStaticMapping", HostErrorKind.AccessDenied)]
    [InlineData("NotSpecified", "HRESULT 0x80070005,New-NetIPAddress", HostErrorKind.AccessDenied)]
    [InlineData("SecurityError", "UnauthorizedAccess", HostErrorKind.AccessDenied)]
    [InlineData("AuthenticationError", "x", HostErrorKind.AccessDenied)]
    // Everyday failures.
    [InlineData("ObjectNotFound", "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.StartVM", HostErrorKind.NotFound)]
    [InlineData("ResourceExists", "Windows System Error 183,New-NetIPAddress", HostErrorKind.AlreadyExists)]
    [InlineData("InvalidOperation", "InvalidState,Microsoft.HyperV.PowerShell.Commands.SetVM", HostErrorKind.InvalidState)]
    [InlineData("ResourceBusy", "x", HostErrorKind.InvalidState)]
    [InlineData("ResourceUnavailable", "x", HostErrorKind.InvalidState)]
    [InlineData("InvalidArgument", "Windows System Error 87,New-NetNat", HostErrorKind.Failed)]
    [InlineData("NotSpecified", "", HostErrorKind.Failed)]
    [InlineData("", "", HostErrorKind.Failed)]
    public void PowerShell_errors_map_to_host_error_kinds(string category, string id, HostErrorKind expected)
    {
        Assert.Equal(expected, HyperVErrors.KindOf(category, id));
    }

    [Fact]
    public void A_PowerShell_error_names_the_operation_and_keeps_the_id_on_one_line()
    {
        var error = HyperVErrors.FromPowerShell(new StartVm("web"), "PermissionDenied", "AccessDenied,StartVM", "You do not have the required permission.\r\nContact the administrator.");

        Assert.Equal(HostErrorKind.AccessDenied, error.Kind);
        Assert.StartsWith("start VM 'web': You do not have the required permission. Contact the administrator. (PermissionDenied, AccessDenied,StartVM).", error.Message, StringComparison.Ordinal);
        Assert.Contains("elevated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_process_that_ends_early_is_a_failure_with_its_exit_code_and_stderr()
    {
        var error = HyperVErrors.FromProcessExit("powershell.exe", -1073741510, "Terminated\nby user\n", new StartVm("web"));

        Assert.Equal(HostErrorKind.Failed, error.Kind);
        Assert.Equal("powershell.exe exited with code -1073741510 before finishing 'start VM 'web'': Terminated by user", error.Message);
    }

    [Theory]
    [InlineData(CimFailure.AccessDenied, CimClasses.Virtualization, HostErrorKind.AccessDenied)]
    [InlineData(CimFailure.InvalidNamespace, CimClasses.Virtualization, HostErrorKind.Unavailable)]
    [InlineData(CimFailure.InvalidClass, CimClasses.Virtualization, HostErrorKind.Unavailable)]
    [InlineData(CimFailure.InvalidClass, CimClasses.StandardCimv2, HostErrorKind.Unavailable)]
    [InlineData(CimFailure.NotSupported, CimClasses.StandardCimv2, HostErrorKind.Unavailable)]
    [InlineData(CimFailure.ServiceUnavailable, CimClasses.Virtualization, HostErrorKind.Unavailable)]
    [InlineData(CimFailure.Failed, CimClasses.Virtualization, HostErrorKind.Failed)]
    public void CIM_failures_map_to_host_error_kinds(CimFailure failure, string @namespace, HostErrorKind expected)
    {
        var error = HyperVErrors.FromCim(new CimQueryException(failure, @namespace, "Msvm_ComputerSystem", "boom"));

        Assert.Equal(expected, error.Kind);
        Assert.Contains(@namespace, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Microsoft.Management.Infrastructure.NativeErrorCode.AccessDenied, CimFailure.AccessDenied)]
    [InlineData(Microsoft.Management.Infrastructure.NativeErrorCode.InvalidNamespace, CimFailure.InvalidNamespace)]
    [InlineData(Microsoft.Management.Infrastructure.NativeErrorCode.InvalidClass, CimFailure.InvalidClass)]
    [InlineData(Microsoft.Management.Infrastructure.NativeErrorCode.NotSupported, CimFailure.NotSupported)]
    [InlineData(Microsoft.Management.Infrastructure.NativeErrorCode.ServerIsShuttingDown, CimFailure.ServiceUnavailable)]
    [InlineData(Microsoft.Management.Infrastructure.NativeErrorCode.Failed, CimFailure.Failed)]
    [InlineData(Microsoft.Management.Infrastructure.NativeErrorCode.NotFound, CimFailure.Failed)]
    public void MI_status_codes_map_to_CIM_failures(Microsoft.Management.Infrastructure.NativeErrorCode code, CimFailure expected)
    {
        Assert.Equal(expected, HyperVErrors.CimFailureOf(code));
    }

    [Fact]
    public void Hyper_V_missing_says_so()
    {
        var error = HyperVErrors.FromCim(new CimQueryException(CimFailure.InvalidNamespace, CimClasses.Virtualization, "Msvm_ComputerSystem", "Invalid namespace"));

        Assert.Contains("Hyper-V is not available", error.Message, StringComparison.Ordinal);
    }
}
