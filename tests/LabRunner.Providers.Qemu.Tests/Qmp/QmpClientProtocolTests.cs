using System.Text.Json.Nodes;
using LabRunner.Providers.Qemu.Qmp;

namespace LabRunner.Providers.Qemu.Tests.Qmp;

/// <summary>The QMP protocol's edge cases, against an in-process fake server.</summary>
public class QmpClientProtocolTests
{
    private static readonly QmpClientOptions Fast = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));

    private static async Task<QmpClient> ConnectAsync(FakeQmpServer server, QmpClientOptions? options = null)
    {
        var connecting = QmpClient.ConnectAsync(server.SocketPath, options ?? Fast, CancellationToken.None);
        await server.AcceptAndNegotiateAsync();
        return await connecting;
    }

    [Fact]
    public async Task Connecting_reads_the_greeting_and_negotiates_capabilities_first()
    {
        await using var server = new FakeQmpServer();

        await using var client = await ConnectAsync(server);

        Assert.Equal("7.2.19", client.Greeting.Version!.Qemu.ToString());
        Assert.Equal(["oob"], client.Greeting.Capabilities);
    }

    [Fact]
    public async Task A_command_carries_its_name_arguments_and_an_id_and_gets_its_return_value()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var executing = client.ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = "info network" }, CancellationToken.None);
        var sent = await server.ReceiveAsync();
        await server.AnswerAsync(sent, "\"net0: index=0,type=tap\"");
        var result = await executing;

        Assert.Equal("human-monitor-command", sent.GetProperty("execute").GetString());
        Assert.Equal("info network", sent.GetProperty("arguments").GetProperty("command-line").GetString());
        Assert.True(sent.GetProperty("id").GetInt64() > 0);
        Assert.Equal("net0: index=0,type=tap", result.GetString());
    }

    [Fact]
    public async Task A_command_without_arguments_sends_no_arguments_member()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var stopping = client.StopAsync(CancellationToken.None);
        var sent = await server.ReceiveAsync();
        await server.AnswerAsync(sent, "{}");
        await stopping;

        Assert.False(sent.TryGetProperty("arguments", out _));
    }

    [Fact]
    public async Task Answers_are_matched_to_commands_by_id_even_out_of_order()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var first = client.ExecuteAsync("query-name", null, CancellationToken.None);
        var second = client.QueryStatusAsync(CancellationToken.None);
        var sentFirst = await server.ReceiveAsync();
        var sentSecond = await server.ReceiveAsync();
        await server.AnswerAsync(sentSecond, """{"running": false, "status": "prelaunch"}""");
        await server.AnswerAsync(sentFirst, """{"name": "web"}""");

        Assert.Equal(new QmpStatus(false, "prelaunch"), await second);
        Assert.Equal("web", (await first).GetProperty("name").GetString());
    }

    [Fact]
    public async Task An_error_answer_throws_with_qemus_class_and_description()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var executing = client.ExecuteAsync("no-such-command", null, CancellationToken.None);
        var sent = await server.ReceiveAsync();
        await server.SendAsync($$$"""{"id": {{{sent.GetProperty("id").GetRawText()}}}, "error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}}""");

        var error = await Assert.ThrowsAsync<QmpCommandException>(() => executing);
        Assert.Equal("CommandNotFound", error.ErrorClass);
        Assert.Contains("no-such-command", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_without_an_id_belongs_to_the_oldest_command()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var executing = client.ExecuteAsync("query-status", null, CancellationToken.None);
        await server.ReceiveAsync();
        await server.SendAsync("""{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}""");

        var error = await Assert.ThrowsAsync<QmpCommandException>(() => executing);
        Assert.Equal("GenericError", error.ErrorClass);
    }

    [Fact]
    public async Task Events_between_answers_are_queued_and_do_not_disturb_the_answer()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var powering = client.SystemPowerdownAsync(CancellationToken.None);
        var sent = await server.ReceiveAsync();
        await server.EmitAsync("POWERDOWN");
        await server.AnswerAsync(sent, "{}");
        await powering;
        await server.EmitAsync("STOP");
        await server.EmitAsync("SHUTDOWN");

        // The POWERDOWN came before anyone waited: it is not lost; waiting for SHUTDOWN skips STOP.
        var powerdown = await client.WaitForEventAsync("POWERDOWN", CancellationToken.None);
        var shutdown = await client.WaitForEventAsync("SHUTDOWN", CancellationToken.None);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddMilliseconds(250), powerdown!.Timestamp);
        Assert.Equal("SHUTDOWN", shutdown!.Name);
    }

    [Fact]
    public async Task A_message_split_across_writes_is_read_whole()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var querying = client.QueryStatusAsync(CancellationToken.None);
        var sent = await server.ReceiveAsync();
        var id = sent.GetProperty("id").GetRawText();
        await server.SendRawAsync("""{"return": {"running": tr""");
        await Task.Delay(50);
        await server.SendRawAsync($$"""ue, "status": "running"}, "id": {{id}}}""" + "\r\n");

        Assert.Equal(new QmpStatus(true, "running"), await querying);
    }

    [Fact]
    public async Task A_closed_connection_fails_pending_commands_completes_closed_and_ends_event_waits()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var querying = client.QueryStatusAsync(CancellationToken.None);
        await server.ReceiveAsync();
        server.CloseConnection();

        await Assert.ThrowsAsync<QmpConnectionClosedException>(() => querying);
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Null(await client.WaitForEventAsync("SHUTDOWN", CancellationToken.None));
        await Assert.ThrowsAsync<QmpConnectionClosedException>(() => client.QueryStatusAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Quit_succeeds_when_qemu_closes_the_socket_without_answering()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);

        var quitting = client.QuitAsync(CancellationToken.None);
        Assert.Equal("quit", (await server.ReceiveAsync()).GetProperty("execute").GetString());
        server.CloseConnection();

        await quitting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(client.Closed.IsCompleted);
    }

    [Fact]
    public async Task A_command_without_an_answer_times_out_and_a_late_answer_is_dropped()
    {
        await using var server = new FakeQmpServer();
        // The timeout also bounds the next command's answer, so it is long enough for a loaded machine (CI saw 200 ms fail).
        await using var client = await ConnectAsync(server, new QmpClientOptions(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)));

        var querying = client.QueryStatusAsync(CancellationToken.None);
        var late = await server.ReceiveAsync();
        var timeout = await Assert.ThrowsAsync<QmpTimeoutException>(() => querying);
        await server.AnswerAsync(late, """{"running": true, "status": "running"}""");

        // The connection still works: the next command gets its own answer, not the late one.
        var next = client.QueryStatusAsync(CancellationToken.None);
        await server.AnswerAsync(await server.ReceiveAsync(), """{"running": false, "status": "paused"}""");
        Assert.Contains("query-status", timeout.Message, StringComparison.Ordinal);
        Assert.Equal("paused", (await next).Status);
    }

    [Fact]
    public async Task Cancelling_a_command_throws_operation_canceled()
    {
        await using var server = new FakeQmpServer();
        await using var client = await ConnectAsync(server);
        using var cancel = new CancellationTokenSource();

        var querying = client.QueryStatusAsync(cancel.Token);
        await server.ReceiveAsync();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => querying);
    }

    [Fact]
    public async Task A_peer_that_does_not_greet_with_qmp_is_refused()
    {
        await using var server = new FakeQmpServer();

        var connecting = QmpClient.ConnectAsync(server.SocketPath, Fast, CancellationToken.None);
        await server.AcceptAsync();
        await server.SendAsync("""{"hello": "not qmp"}""");

        var error = await Assert.ThrowsAsync<QmpProtocolException>(() => connecting);
        Assert.Contains("greeting", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_that_never_greets_times_out()
    {
        await using var server = new FakeQmpServer();

        var connecting = QmpClient.ConnectAsync(server.SocketPath, new QmpClientOptions(TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5)), CancellationToken.None);
        await server.AcceptAsync();

        var error = await Assert.ThrowsAsync<QmpTimeoutException>(() => connecting);
        Assert.Contains("did not greet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_listening_is_a_connection_error_not_a_hang()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lr-none-{Guid.NewGuid():N}.sock");

        await Assert.ThrowsAsync<QmpConnectionClosedException>(() => QmpClient.ConnectAsync(path, Fast, CancellationToken.None));
    }

    [Fact]
    public async Task A_socket_path_longer_than_the_kernel_allows_is_refused_with_a_clear_message()
    {
        var path = "/tmp/" + new string('x', 120) + "/qmp.sock";

        var error = await Assert.ThrowsAsync<QmpException>(() => QmpClient.ConnectAsync(path, Fast, CancellationToken.None));
        Assert.Contains("107 bytes", error.Message, StringComparison.Ordinal);
    }
}
