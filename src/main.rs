fn main() -> std::process::ExitCode {
    leaselint::run()
}
