"""The release pipeline: from prepared data to a verified, recorded and (when the gates pass) promoted model."""
