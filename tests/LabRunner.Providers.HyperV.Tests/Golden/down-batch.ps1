# LabRunner batch: down demo
# 16 operation(s) in one PowerShell process. Every value is a single-quoted literal: nothing in it runs.
# Progress goes to stdout as '##labrunner begin|ok|fail N' lines. A VM's error skips the rest of that VM;
# a host networking error stops the batch.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version '3.0'
$labrunnerStep = 0
trap {
    $labrunnerError = $_
    $labrunnerId = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.FullyQualifiedErrorId))
    $labrunnerMessage = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.Exception.Message))
    '##labrunner fail ' + $labrunnerStep + ' ' + $labrunnerError.CategoryInfo.Category + ' ' + $labrunnerId + ' ' + $labrunnerMessage
    exit 1
}
$labrunnerFailed = @{}

# VM 'web': an error skips the rest of this VM's operations, not the other VMs'.
if (-not $labrunnerFailed.ContainsKey('web')) {
    try {
        # [1/16] shut down VM 'web'
        $labrunnerStep = 1
        '##labrunner begin 1'
        Hyper-V\Stop-VM -Name 'web' -Force -ErrorAction 'Stop'
        '##labrunner ok 1'
    }
    catch {
        $labrunnerError = $_
        $labrunnerId = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.FullyQualifiedErrorId))
        $labrunnerMessage = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.Exception.Message))
        '##labrunner fail ' + $labrunnerStep + ' ' + $labrunnerError.CategoryInfo.Category + ' ' + $labrunnerId + ' ' + $labrunnerMessage
        $labrunnerFailed['web'] = $true
    }
}

# VM 'db': an error skips the rest of this VM's operations, not the other VMs'.
try {
    # [2/16] resume paused VM 'db'
    $labrunnerStep = 2
    '##labrunner begin 2'
    Hyper-V\Resume-VM -Name 'db' -ErrorAction 'Stop'
    '##labrunner ok 2'

    # [3/16] turn off VM 'db'
    $labrunnerStep = 3
    '##labrunner begin 3'
    Hyper-V\Stop-VM -Name 'db' -TurnOff -Force -ErrorAction 'Stop'
    '##labrunner ok 3'

    # [4/16] connect adapter 'nat' of VM 'db' to 'demo-nat'
    $labrunnerStep = 4
    '##labrunner begin 4'
    Hyper-V\Connect-VMNetworkAdapter -VMName 'db' -Name 'nat' -SwitchName 'demo-nat' -ErrorAction 'Stop'
    '##labrunner ok 4'

    # [5/16] remove adapter 'backend' from VM 'db'
    $labrunnerStep = 5
    '##labrunner begin 5'
    Hyper-V\Remove-VMNetworkAdapter -VMName 'db' -Name 'backend' -ErrorAction 'Stop'
    '##labrunner ok 5'

    # [6/16] turn off automatic checkpoints of VM 'db'
    $labrunnerStep = 6
    '##labrunner begin 6'
    Hyper-V\Set-VM -Name 'db' -AutomaticCheckpointsEnabled $false -ErrorAction 'Stop'
    '##labrunner ok 6'

    # [7/16] insert seed 'C:\src\demo\.lab\db\seed.iso' into VM 'db' in place of 'C:\src\demo\.lab\db\seed-0.iso'
    $labrunnerStep = 7
    '##labrunner begin 7'
    $labrunnerDvd = @(Hyper-V\Get-VMDvdDrive -VMName 'db' -ErrorAction 'Stop' | Where-Object { $_.Path -eq 'C:\src\demo\.lab\db\seed-0.iso' })
    if ($labrunnerDvd.Count -eq 0) { throw [System.Management.Automation.ErrorRecord]::new([System.Management.Automation.ItemNotFoundException]::new('VM ''db'' has no DVD drive holding ''C:\src\demo\.lab\db\seed-0.iso''.'), 'LabRunnerDvdDriveNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $null) }
    Hyper-V\Set-VMDvdDrive -VMName 'db' -ControllerNumber $labrunnerDvd[0].ControllerNumber -ControllerLocation $labrunnerDvd[0].ControllerLocation -Path 'C:\src\demo\.lab\db\seed.iso' -ErrorAction 'Stop'
    '##labrunner ok 7'

    # [8/16] set firmware of VM 'db': secure boot off, boot from disk
    $labrunnerStep = 8
    '##labrunner begin 8'
    $labrunnerDisk = @(Hyper-V\Get-VMHardDiskDrive -VMName 'db' -ErrorAction 'Stop' | Where-Object { $_.Path -eq 'C:\src\demo\.lab\db\disk.vhdx' })
    if ($labrunnerDisk.Count -eq 0) { throw [System.Management.Automation.ErrorRecord]::new([System.Management.Automation.ItemNotFoundException]::new('VM ''db'' has no hard disk drive with the path ''C:\src\demo\.lab\db\disk.vhdx''.'), 'LabRunnerBootDiskNotFound', [System.Management.Automation.ErrorCategory]::ObjectNotFound, $null) }
    Hyper-V\Set-VMFirmware -VMName 'db' -EnableSecureBoot 'Off' -FirstBootDevice $labrunnerDisk[0] -ErrorAction 'Stop'
    '##labrunner ok 8'
}
catch {
    $labrunnerError = $_
    $labrunnerId = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.FullyQualifiedErrorId))
    $labrunnerMessage = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.Exception.Message))
    '##labrunner fail ' + $labrunnerStep + ' ' + $labrunnerError.CategoryInfo.Category + ' ' + $labrunnerId + ' ' + $labrunnerMessage
}

# VM 'web': an error skips the rest of this VM's operations, not the other VMs'.
if (-not $labrunnerFailed.ContainsKey('web')) {
    try {
        # [9/16] discard the saved state of VM 'web'
        $labrunnerStep = 9
        '##labrunner begin 9'
        Hyper-V\Remove-VMSavedState -VMName 'web' -Confirm:$false -ErrorAction 'Stop'
        '##labrunner ok 9'

        # [10/16] remove VM 'web'
        $labrunnerStep = 10
        '##labrunner begin 10'
        Hyper-V\Remove-VM -Name 'web' -Force -ErrorAction 'Stop'
        '##labrunner ok 10'

        # [11/16] delete 'C:\src\demo\.lab\web\disk.vhdx'
        $labrunnerStep = 11
        '##labrunner begin 11'
        if (Test-Path -LiteralPath 'C:\src\demo\.lab\web\disk.vhdx' -PathType 'Leaf') { Remove-Item -LiteralPath 'C:\src\demo\.lab\web\disk.vhdx' -Force -ErrorAction 'Stop' }
        '##labrunner ok 11'

        # [12/16] delete 'C:\src\demo\.lab\web\seed.iso'
        $labrunnerStep = 12
        '##labrunner begin 12'
        if (Test-Path -LiteralPath 'C:\src\demo\.lab\web\seed.iso' -PathType 'Leaf') { Remove-Item -LiteralPath 'C:\src\demo\.lab\web\seed.iso' -Force -ErrorAction 'Stop' }
        '##labrunner ok 12'
    }
    catch {
        $labrunnerError = $_
        $labrunnerId = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.FullyQualifiedErrorId))
        $labrunnerMessage = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$labrunnerError.Exception.Message))
        '##labrunner fail ' + $labrunnerStep + ' ' + $labrunnerError.CategoryInfo.Category + ' ' + $labrunnerId + ' ' + $labrunnerMessage
        $labrunnerFailed['web'] = $true
    }
}

# [13/16] stop forwarding TCP 0.0.0.0:2222 to 172.30.1.10:22
$labrunnerStep = 13
'##labrunner begin 13'
Get-NetNatStaticMapping -ErrorAction 'Stop' |
    Where-Object { $_.NatName -eq 'LabRunnerNat' -and ([string]$_.ExternalIPAddress).Split('/')[0] -eq '0.0.0.0' -and $_.ExternalPort -eq 2222 -and $_.InternalIPAddress -eq '172.30.1.10' -and $_.InternalPort -eq 22 -and @('TCP', '6') -contains [string]$_.Protocol } |
    Remove-NetNatStaticMapping -Confirm:$false -ErrorAction 'Stop'
'##labrunner ok 13'

# [14/16] stop forwarding UDP 0.0.0.0:5353 to 172.30.1.10:53
$labrunnerStep = 14
'##labrunner begin 14'
Get-NetNatStaticMapping -ErrorAction 'Stop' |
    Where-Object { $_.NatName -eq 'LabRunnerNat' -and ([string]$_.ExternalIPAddress).Split('/')[0] -eq '0.0.0.0' -and $_.ExternalPort -eq 5353 -and $_.InternalIPAddress -eq '172.30.1.10' -and $_.InternalPort -eq 53 -and @('UDP', '17') -contains [string]$_.Protocol } |
    Remove-NetNatStaticMapping -Confirm:$false -ErrorAction 'Stop'
'##labrunner ok 14'

# [15/16] remove switch 'demo-backend'
$labrunnerStep = 15
'##labrunner begin 15'
Hyper-V\Remove-VMSwitch -Name 'demo-backend' -Force -ErrorAction 'Stop'
'##labrunner ok 15'

# [16/16] remove NetNat 'LabRunnerNat'
$labrunnerStep = 16
'##labrunner begin 16'
Remove-NetNat -Name 'LabRunnerNat' -Confirm:$false -ErrorAction 'Stop'
'##labrunner ok 16'

exit 0
