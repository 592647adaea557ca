"""The archive of signed assessments: write-once storage, search, download, BagIt export, verification."""
