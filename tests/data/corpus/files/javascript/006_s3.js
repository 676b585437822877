const AWS = require('aws-sdk');
const s3 = new AWS.S3({
  accessKeyId: "${keyid:AKIA:6000}",
  secretAccessKey: "${secret:6005}",
  region: 'us-west-2',
});
module.exports = s3;
