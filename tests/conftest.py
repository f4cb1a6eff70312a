def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs CuPy and a CUDA GPU (skipped otherwise)")
    config.addinivalue_line("markers", "slow: slower end-to-end test")
